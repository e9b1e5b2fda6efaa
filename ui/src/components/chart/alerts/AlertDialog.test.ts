import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../../lib/api/fake-backend';
import { checkAnswer, session, shownAlert, status, summary } from '../../../lib/api/fixtures';
import type { MedicationAdd, MedicationRecord } from '../../../lib/api/types.gen';
import Shell from '../../app/Shell.svelte';

const meta = { created_by: 'u1', created_change: 'c1', updated_by: 'u1', created_at: 1 };

/** Ann's chart with warfarin active: adding an NSAID answers an interruptive alert. */
function practice() {
  const meds: MedicationRecord[] = [];
  const backend = new FakeBackend()
    .on('app.status', () => status({ session: session() }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', () => summary())
    .on('cds.due', () => {
      throw new Error('not under test');
    })
    .on('medication.list', () => meds)
    .on('cds.check', ({ item }) =>
      item.type === 'medication' && /ibuprofen/i.test(item.name)
        ? checkAnswer({
            alerts: [
              shownAlert(),
              shownAlert({ key: 'info', severity: 'informational', why: 'with lisinopril' }),
            ],
          })
        : checkAnswer(),
    )
    .on('medication.add', (a: MedicationAdd) => {
      const overrides = a.alert_overrides as { reason: string } | undefined;
      const rec: MedicationRecord = {
        ...meta,
        id: `m${meds.length + 1}`,
        updated_at: 2,
        retracted: false,
        patient: a.patient,
        name: a.name ?? null,
        status: a.status ?? null,
        alert_overrides: overrides
          ? [{ reason: overrides.reason, by_name: 'Dr Lee', other_text: 'Warfarin 5 mg' }]
          : null,
      };
      meds.push(rec);
      return rec;
    });
  return backend;
}

async function openMedications() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  await screen.findByRole('region', { name: 'Patient banner' });
  const nav = screen.getByRole('navigation', { name: 'Chart sections' });
  await fireEvent.click(within(nav).getByRole('button', { name: 'Medications' }));
  await screen.findByRole('heading', { name: 'Medications' });
}

async function addMedication(name: string) {
  await fireEvent.click(screen.getByRole('button', { name: 'Add medication' }));
  await fireEvent.input(screen.getByLabelText('Medication name (required)'), {
    target: { value: name },
  });
  await fireEvent.click(screen.getByRole('button', { name: 'Save medication' }));
}

describe('alerts before saving a medication', () => {
  afterEach(() => cleanup());

  it('stops at an interruptive alert, needs a reason, and saves it with the override', async () => {
    const backend = practice();
    render(Shell, { backend });
    await openMedications();
    await addMedication('Ibuprofen 400 mg');

    const dialog = await screen.findByRole('dialog', { name: /Alert before saving/ });
    expect(dialog.textContent).toContain('ibuprofen with warfarin: bleeding risk.');
    expect(dialog.textContent).toContain('assets/interactions.tsv line 2507');
    expect(dialog.textContent).toContain('HL7 PDDI CDS Implementation Guide');
    expect(dialog.textContent).toContain('with lisinopril');

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Save anyway' }));
    expect(within(dialog).getByRole('alert').textContent).toContain('Write why');
    expect(backend.callsOf('medication.add')).toEqual([]);

    await fireEvent.input(within(dialog).getByLabelText('Reason to go on (required)'), {
      target: { value: 'short course, INR checked' },
    });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Save anyway' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(backend.callsOf('medication.add')).toEqual([
      {
        name: 'Ibuprofen 400 mg',
        status: 'active',
        patient: 'p1',
        alert_overrides: { reason: 'short course, INR checked', alerts: [shownAlert().key] },
      },
    ]);
    // The answered alert shows on the medication's row, with who and why.
    await screen.findByText(/Alert overridden by Dr Lee .*short course, INR checked/);
  }, 20_000);

  it('cancel goes back to the form as typed, nothing saved', async () => {
    const backend = practice();
    render(Shell, { backend });
    await openMedications();
    await addMedication('Ibuprofen 400 mg');
    const dialog = await screen.findByRole('dialog');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const name = screen.getByLabelText('Medication name (required)') as HTMLInputElement;
    expect(name.value).toBe('Ibuprofen 400 mg');
    expect(backend.callsOf('medication.add')).toEqual([]);
  }, 20_000);

  it('saves a medication with no alert at once', async () => {
    const backend = practice();
    render(Shell, { backend });
    await openMedications();
    await addMedication('Amoxicillin 500 mg');
    await screen.findByRole('table', { name: 'Medications' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(backend.callsOf('medication.add')).toHaveLength(1);
  }, 20_000);
});
