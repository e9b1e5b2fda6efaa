import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { session, status } from '../../lib/api/fixtures';
import { onSync, syncStatus } from '../../lib/api/sync-fixtures';
import type { HeldMessage, Hl7MessageRecord, ObservationRecord } from '../../lib/api/types.gen';
import type { Every } from '../../lib/state/sync-status.svelte';
import Shell from '../app/Shell.svelte';

const noTicks: Every = () => () => {};

const meta = {
  created_at: 0,
  created_by: 'u1',
  created_change: 'c1',
  updated_at: 0,
  updated_by: 'u1',
  retracted: false,
};

/** A lab message no chart matched: made-up patient, the NIST lead result's shape. */
function held(over: Partial<HeldMessage> = {}): HeldMessage {
  return {
    id: 'm1',
    version: ['v1'],
    control_id: 'LAB-1',
    sending_facility: 'Acme Lab',
    received_at: '2026-11-01T12:00:00Z',
    reason: 'no patient has an identifier in PID-3, nor the name and birth date in PID-5/PID-7',
    patient: null,
    pid: {
      identifiers: ['X123 (MR)'],
      family: 'Testperson',
      given: 'Ann',
      birth_date: '1980-05-01',
      sex: 'F',
    },
    results: [{ code: '10368-9', name: 'Lead', value: '50 ug/dL', flag: 'H', status: 'P' }],
    ...over,
  };
}

function practice(opts: { permissions?: string[] } = {}) {
  let queue: HeldMessage[] = [
    held(),
    held({ id: 'm2', control_id: 'LAB-2', pid: { ...held().pid, family: 'Sample', given: 'Bob' } }),
  ];
  const record = (id: string, state: string): Hl7MessageRecord => ({ ...meta, id, state });
  const sess = session(opts.permissions ? { permissions: opts.permissions } : {});
  const backend = new FakeBackend()
    .on('app.status', () => status({ session: sess }))
    .on('hl7.unmatched', () => queue)
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('hl7.assign', ({ id }) => {
      queue = queue.filter((m) => m.id !== id);
      return {
        message: record(id, 'assigned'),
        results: [{ ...meta, id: 'o1', patient: 'p1' } as ObservationRecord],
      };
    })
    .on('hl7.refuse', ({ id }) => {
      queue = queue.filter((m) => m.id !== id);
      return record(id, 'refused');
    });
  onSync(backend, 'sync.status', () => syncStatus());
  return backend;
}

async function openQueue() {
  const nav = await screen.findByRole('navigation', { name: 'Main' });
  await fireEvent.click(within(nav).getByRole('button', { name: 'Unmatched results' }));
  return screen.findByRole('main', { name: 'Unmatched results' });
}

describe('Unmatched results', () => {
  afterEach(() => cleanup());

  it('lists each waiting message with why, the patient it names and its results', async () => {
    render(Shell, { backend: practice(), pollEvery: noTicks });
    const page = await openQueue();
    const ann = await within(page).findByRole('region', { name: 'Testperson, Ann' });
    expect(ann.textContent).toContain('born 1980-05-01');
    expect(ann.textContent).toContain('X123 (MR)');
    expect(ann.textContent).toContain('no patient has an identifier in PID-3');
    expect(ann.textContent).toContain('50 ug/dL');
    expect(ann.textContent).toContain('preliminary');
    expect(ann.textContent).toContain('high');
    expect(within(page).getByRole('region', { name: 'Sample, Bob' })).toBeTruthy();
  });

  it('files a message in the chart the clinician chooses, naming it before filing', async () => {
    const backend = practice();
    render(Shell, { backend, pollEvery: noTicks });
    const page = await openQueue();
    const ann = await within(page).findByRole('region', { name: 'Testperson, Ann' });
    await fireEvent.click(within(ann).getByRole('button', { name: 'File in a chart…' }));
    // The search starts from what the message says of the patient.
    expect((within(ann).getByLabelText('Find the patient') as HTMLInputElement).value).toBe(
      'Testperson 1980-05-01',
    );
    const file = within(ann).getByRole('button', { name: 'Choose a patient' });
    expect((file as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(await within(ann).findByRole('button', { name: 'Testperson, Ann' }));
    await fireEvent.click(
      within(ann).getByRole('button', { name: "File in Testperson, Ann's chart" }),
    );
    await waitFor(() =>
      expect(within(page).queryByRole('region', { name: 'Testperson, Ann' })).toBeNull(),
    );
    expect(backend.callsOf('hl7.assign')).toEqual([{ id: 'm1', version: ['v1'], patient: 'p1' }]);
    expect(screen.getByText(/Filed 1 result of message LAB-1/)).toBeTruthy();
  });

  it('refuses a message with the reason typed', async () => {
    const backend = practice();
    render(Shell, { backend, pollEvery: noTicks });
    const page = await openQueue();
    const bob = await within(page).findByRole('region', { name: 'Sample, Bob' });
    await fireEvent.click(within(bob).getByRole('button', { name: 'Refuse…' }));
    await fireEvent.input(within(bob).getByLabelText('Why is it refused?'), {
      target: { value: 'not our patient' },
    });
    await fireEvent.click(within(bob).getByRole('button', { name: 'Refuse message' }));
    await waitFor(() =>
      expect(within(page).queryByRole('region', { name: 'Sample, Bob' })).toBeNull(),
    );
    expect(backend.callsOf('hl7.refuse')).toEqual([
      { id: 'm2', version: ['v1'], reason: 'not our patient' },
    ]);
  });

  it('keeps the message and shows the engine’s refusal', async () => {
    const backend = practice().fail(
      'hl7.assign',
      'invalid_input',
      'patient: this patient record was entered in error',
    );
    render(Shell, { backend, pollEvery: noTicks });
    const page = await openQueue();
    const ann = await within(page).findByRole('region', { name: 'Testperson, Ann' });
    await fireEvent.click(within(ann).getByRole('button', { name: 'File in a chart…' }));
    await fireEvent.click(await within(ann).findByRole('button', { name: 'Testperson, Ann' }));
    await fireEvent.click(
      within(ann).getByRole('button', { name: "File in Testperson, Ann's chart" }),
    );
    expect((await within(ann).findByRole('alert')).textContent).toContain('entered in error');
    expect(within(page).getByRole('region', { name: 'Testperson, Ann' })).toBeTruthy();
  });

  it('a role that reads but does not write charts sees the queue without the actions', async () => {
    render(Shell, {
      backend: practice({ permissions: ['demographics', 'read_chart'] }),
      pollEvery: noTicks,
    });
    const page = await openQueue();
    const ann = await within(page).findByRole('region', { name: 'Testperson, Ann' });
    expect(within(ann).queryByRole('button', { name: 'File in a chart…' })).toBeNull();
  });
});
