import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import {
  importReport,
  importedRecord,
  session,
  status,
  summary,
  waiting,
} from '../../lib/api/fixtures';
import type { FhirImport } from '../../lib/api/types.gen';
import Shell from '../app/Shell.svelte';

const counts = { mapped: 0, verbatim: 0, duplicate: 0, refused: 0, skipped: 0 };

function practice(sent: FhirImport[]) {
  return new FakeBackend()
    .on('app.status', () => status({ session: session() }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', () => summary())
    .on('imported.list', () => [
      importedRecord(),
      importedRecord({
        id: 'ir2',
        resource_type: 'CarePlan',
        date: '2024-01-02',
        summary: 'Diabetes care plan',
        resource: { resourceType: 'CarePlan', id: 'cp1' },
      }),
    ])
    .on('import.fhir', (args) => {
      sent.push(args);
      if (args.file !== 'Patient.ndjson')
        return importReport({
          resources: 4,
          types: { Claim: { ...counts, verbatim: 4 } },
          notes: ['Claim: 4 kept verbatim (no place in the chart)'],
          problems: [
            {
              file: args.file,
              resource: 'Claim/c9',
              path: 'line 3',
              message: 'created is not a date',
            },
          ],
          complete: false,
        });
      if (!args.decisions)
        return importReport({
          resources: 3,
          complete: false,
          types: { Patient: { ...counts, refused: 1 }, Condition: { ...counts, refused: 2 } },
          waiting: [waiting()],
        });
      return importReport({
        resources: 3,
        types: { Patient: { ...counts, mapped: 1 }, Condition: { ...counts, mapped: 2 } },
        patients: [{ patient: 'p1', name: 'Testperson, Ann', new: false, records: 2 }],
      });
    });
}

describe('Import records', () => {
  afterEach(() => cleanup());

  it('imports chosen files Patient first, reports them, and settles a waiting patient', async () => {
    const sent: FhirImport[] = [];
    render(Shell, { backend: practice(sent) });
    await fireEvent.click(await screen.findByRole('button', { name: 'Import' }));
    const input = await screen.findByLabelText('Choose files…');
    const files = [
      new File(['{"resourceType":"Claim"}'], 'Claim.ndjson'),
      new File(['{"resourceType":"Patient"}'], 'Patient.ndjson'),
    ];
    await fireEvent.change(input, { target: { files } });
    await waitFor(() =>
      expect(screen.getByText(/Imported 2 of 2 files, 7 resources so far/)).toBeTruthy(),
    );
    await screen.findByRole('heading', { name: 'Report' });
    expect(sent.map((s) => s.file)).toEqual(['Patient.ndjson', 'Claim.ndjson']);
    expect(sent[0]!.content).toBe('{"resourceType":"Patient"}');
    expect(
      screen.getByText(
        /0 patients registered, 0 charts added to, 0 unchanged, 1 waiting, 1 problem/,
      ),
    ).toBeTruthy();
    expect(screen.getByText('created is not a date')).toBeTruthy();
    expect(screen.getByText('Claim: 4 kept verbatim (no place in the chart)')).toBeTruthy();

    const group = screen.getByRole('group', { name: 'Waiting: Testperson, Ann' });
    await fireEvent.click(
      within(group).getByRole('button', {
        name: 'Same person as Testperson, Ann, born 1980-05-01, MRN 0000001',
      }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('group', { name: 'Waiting: Testperson, Ann' })).toBeNull(),
    );
    expect(sent[2]).toMatchObject({
      file: 'Patient.ndjson',
      decisions: [{ source: 'Patient/imp-1', patient: 'p1' }],
    });
    expect(screen.getByText(/1 chart added to, 0 unchanged, 0 waiting/)).toBeTruthy();
    const condition = screen.getByRole('row', { name: /Condition/ });
    expect(
      within(condition)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['2', '0', '0', '0', '0']);

    await fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByRole('heading', { name: 'Report' })).toBeNull();
  });

  it('shows the engine’s refusal with the app’s error message', async () => {
    const backend = practice([]).fail('import.fhir', 'forbidden', 'You may not import records.');
    render(Shell, { backend });
    await fireEvent.click(await screen.findByRole('button', { name: 'Import' }));
    const input = await screen.findByLabelText('Choose files…');
    await fireEvent.change(input, { target: { files: [new File(['{}'], 'a.json')] } });
    expect((await screen.findByRole('alert')).textContent).toContain('You may not import records.');
  });

  it('is not offered to a role that may not sign', async () => {
    const backend = new FakeBackend()
      .on('app.status', () =>
        status({
          session: session({ permissions: ['demographics', 'edit_demographics', 'read_chart'] }),
        }),
      )
      .on('patient.search', () => []);
    render(Shell, { backend });
    await screen.findByRole('button', { name: 'Patients' });
    expect(screen.queryByRole('button', { name: 'Import' })).toBeNull();
  });

  it('the chart’s Other imported records lists them and opens one to its resource', async () => {
    render(Shell, { backend: practice([]) });
    const field = await screen.findByLabelText('Search patients');
    await fireEvent.input(field, { target: { value: 'ann' } });
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toContain('1 patient found'),
    );
    await fireEvent.keyDown(field, { key: 'Enter' });
    await screen.findByRole('region', { name: 'Patient banner' });
    await fireEvent.click(screen.getByRole('button', { name: 'Other imported records' }));
    const open = await screen.findByRole('button', { name: 'Claim for an office visit' });
    expect(screen.getByRole('button', { name: 'Diabetes care plan' })).toBeTruthy();
    const rows = screen.getAllByRole('row');
    expect(rows[1]!.textContent).toContain('2025-03-04');
    expect(rows[1]!.textContent).toContain('Claim');
    expect(open.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(open);
    const pre = screen.getByLabelText('Claim as imported');
    expect(JSON.parse(pre.textContent!)).toEqual({
      resourceType: 'Claim',
      id: 'c1',
      status: 'active',
    });
    await fireEvent.click(open);
    expect(screen.queryByLabelText('Claim as imported')).toBeNull();
  });
});
