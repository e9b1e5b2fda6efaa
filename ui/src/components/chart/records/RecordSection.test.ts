import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../../lib/api/fake-backend';
import { session, status, summary } from '../../../lib/api/fixtures';
import type { ProblemRecord } from '../../../lib/api/types.gen';
import Shell from '../../app/Shell.svelte';

const meta = { created_by: 'u1', created_change: 'c1', updated_by: 'u1' };

/** One patient whose problems live in memory behind the fake backend, as the engine keeps them. */
function practice(permissions?: string[]) {
  const problems = new Map<string, ProblemRecord>();
  let n = 0;
  let clock = 1_000;
  const backend = new FakeBackend()
    .on('app.status', () => status({ session: session(permissions ? { permissions } : {}) }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('patient.get', () => summary().patient)
    .on('chart.summary', () => summary())
    .on('code.search', ({ query }) =>
      query.startsWith('diab')
        ? [
            { code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' },
            { code: 'E10.9', display: 'Type 1 diabetes mellitus without complications' },
          ]
        : [],
    )
    .on('problem.list', () => [...problems.values()])
    .on('problem.get', ({ id }) => ({ ...problems.get(id)!, version: [`v-${id}`] }))
    .on('problem.add', (a) => {
      const rec: ProblemRecord = {
        ...meta,
        id: `pr${++n}`,
        created_at: ++clock,
        updated_at: clock,
        retracted: false,
        patient: a.patient,
        code: a.code ?? null,
        display: a.display ?? null,
        status: a.status ?? null,
        onset_date: a.onset_date ?? null,
      };
      problems.set(rec.id, rec);
      return rec;
    })
    .on('problem.update', ({ id, version: _v, ...fields }) => {
      const rec = { ...problems.get(id)!, ...fields, updated_at: ++clock };
      problems.set(id, rec);
      return rec;
    })
    .on('problem.retract', ({ id, reason }) => {
      const rec = { ...problems.get(id)!, retracted: true, retract_reason: reason };
      problems.set(id, rec);
      return rec;
    })
    .on('encounter.list', () => [])
    .on('coverage.list', () => []);
  return backend;
}

async function openProblems() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  await screen.findByRole('region', { name: 'Patient banner' });
  const nav = screen.getByRole('navigation', { name: 'Chart sections' });
  await fireEvent.click(within(nav).getByRole('button', { name: 'Problems' }));
  await screen.findByRole('heading', { name: 'Problems' });
  return nav;
}

describe('a record section (problems)', () => {
  afterEach(() => cleanup());

  it('adds a coded problem picked from the ICD-10-CM search, and lists it', async () => {
    const backend = practice();
    render(Shell, { backend });
    await openProblems();
    expect(await screen.findByText('No problems recorded.')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Add problem' }));
    const code = screen.getByRole('combobox', { name: 'ICD-10-CM code' });
    await fireEvent.input(code, { target: { value: 'diab' } });
    await screen.findByRole('option', { name: /E11\.9/ });
    await fireEvent.keyDown(code, { key: 'ArrowDown' });
    await fireEvent.keyDown(code, { key: 'Enter' });
    expect((code as HTMLInputElement).value).toBe('E11.9');
    expect((screen.getByLabelText('Problem') as HTMLInputElement).value).toBe(
      'Type 2 diabetes mellitus without complications',
    );
    await fireEvent.input(screen.getByLabelText('Onset date'), { target: { value: '2020-01-02' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save problem' }));

    const table = await screen.findByRole('table', { name: 'Problems' });
    expect(within(table).getByText('Type 2 diabetes mellitus without complications')).toBeTruthy();
    expect(within(table).getByText('E11.9')).toBeTruthy();
    expect(backend.callsOf('problem.add')).toEqual([
      {
        patient: 'p1',
        code: 'E11.9',
        display: 'Type 2 diabetes mellitus without complications',
        status: 'active',
        onset_date: '2020-01-02',
      },
    ]);
  }, 20_000);

  it('edits only the changed field on the version read, then retracts with a reason, struck through', async () => {
    const backend = practice();
    render(Shell, { backend });
    await openProblems();
    await fireEvent.click(await screen.findByRole('button', { name: 'Add problem' }));
    await fireEvent.input(screen.getByLabelText('Problem'), { target: { value: 'Back pain' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save problem' }));
    await screen.findByRole('table', { name: 'Problems' });

    await fireEvent.click(screen.getByRole('button', { name: 'Edit Back pain' }));
    await fireEvent.input(await screen.findByLabelText('Note'), {
      target: { value: 'after a fall' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    await screen.findByText('after a fall');
    expect(backend.callsOf('problem.update')).toEqual([
      { note: 'after a fall', id: 'pr1', version: ['v-pr1'] },
    ]);

    await fireEvent.click(screen.getByRole('button', { name: 'Mark Back pain entered in error' }));
    await fireEvent.input(screen.getByLabelText('Why was Back pain entered in error?'), {
      target: { value: 'wrong patient' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Mark entered in error' }));
    const reason = await screen.findByText('Entered in error: wrong patient');
    const row = reason.closest('tr')!;
    expect(row.querySelector('.struck')?.textContent).toBe('Back pain');
    expect(within(row).queryByRole('button', { name: 'Edit Back pain' })).toBeNull();
    expect(backend.callsOf('problem.retract')).toEqual([
      { id: 'pr1', reason: 'wrong patient', version: ['v-pr1'] },
    ]);
  }, 20_000);

  it('billing reads problems, encounters, demographics and insurance, and cannot add', async () => {
    render(Shell, { backend: practice(['demographics', 'billing']) });
    const nav = await openProblems();
    expect(
      within(nav)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Problems', 'Encounters', 'Demographics', 'Insurance']);
    expect(await screen.findByText('No problems recorded.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add problem' })).toBeNull();
  }, 20_000);
});

describe('a record section (encounters)', () => {
  afterEach(() => cleanup());

  it('a visit code picked from the visit kinds fills the type and is saved with the visit', async () => {
    const backend = new FakeBackend()
      .on('app.status', () => status({ session: session() }))
      .on('patient.search', () => [
        { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
      ])
      .on('patient.get', () => summary().patient)
      .on('chart.summary', () => summary())
      .on('code.search', ({ system, query }) =>
        system === 'visit' && query.startsWith('well')
          ? [
              {
                code: '444971000124105',
                display: 'Annual wellness visit',
                category: 'Annual Wellness Visit',
              },
            ]
          : [],
      )
      .on('encounter.list', () => [])
      .on('coverage.list', () => [])
      .on('encounter.add', (a) => {
        if (a.type_code === '444971000124106') {
          throw {
            code: 'invalid_code',
            message: "type_code: '444971000124106' is not a SNOMED CT concept id",
          };
        }
        return {
          ...meta,
          id: 'e1',
          created_at: 1,
          updated_at: 1,
          retracted: false,
          ...a,
        };
      });
    render(Shell, { backend });
    const field = await screen.findByLabelText('Search patients');
    await fireEvent.input(field, { target: { value: 'ann' } });
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toContain('1 patient found'),
    );
    await fireEvent.keyDown(field, { key: 'Enter' });
    const nav = await screen.findByRole('navigation', { name: 'Chart sections' });
    await fireEvent.click(within(nav).getByRole('button', { name: 'Encounters' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Add encounter' }));
    const code = screen.getByRole('combobox', { name: 'Visit code' });
    await fireEvent.input(code, { target: { value: 'wellness' } });
    await screen.findByRole('option', { name: /444971000124105/ });
    await fireEvent.keyDown(code, { key: 'ArrowDown' });
    await fireEvent.keyDown(code, { key: 'Enter' });
    expect((screen.getByLabelText('Type of visit') as HTMLInputElement).value).toBe(
      'Annual wellness visit',
    );
    // The engine's refusal names the field as the form labels it, and marks it.
    await fireEvent.input(code, { target: { value: '444971000124106' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save encounter' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain(
      "Visit code: '444971000124106' is not a SNOMED CT concept id",
    );
    await fireEvent.input(code, { target: { value: '444971000124105' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save encounter' }));
    await waitFor(() => expect(backend.callsOf('encounter.add')).toHaveLength(2));
    expect(backend.callsOf('encounter.add')[1]).toMatchObject({
      patient: 'p1',
      type: 'Annual wellness visit',
      type_code: '444971000124105',
    });
  }, 20_000);
});
