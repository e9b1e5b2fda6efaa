import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { allergy, patientView, session, status, summary } from '../../lib/api/fixtures';
import { competing, conflict, device, onSync, syncStatus } from '../../lib/api/sync-fixtures';
import type { Conflict, Duplicate } from '../../lib/api/types.gen';
import type { Every } from '../../lib/state/sync-status.svelte';
import Shell from '../app/Shell.svelte';

const clinician = session({
  permissions: [
    'demographics',
    'edit_demographics',
    'read_chart',
    'write_chart',
    'sign',
    'resolve_conflicts',
  ],
});

/** The status bar's timer never fires by itself here: each test says when a tick happens. */
const noTicks: Every = () => () => {};

/**
 * A practice behind a fake backend with two charts in conflict (Ann's allergy severity and
 * a problem note on Bob's chart) and one MRN given to two patients. Settling a conflict
 * removes it, as the engine would.
 */
function practice(opts: { permissions?: string[] } = {}) {
  let conflicts: Conflict[] = [
    conflict(),
    conflict({
      row: 'pr1',
      entity: 'problem',
      field: 'note',
      patient: 'p2',
      shown: 'Diet only',
      values: [
        competing({ change: 'ch3', value: 'Diet only', device: '1234abcd5678ef90' }),
        competing({ change: 'ch4', value: 'Metformin started', device: 'eeee5555ffff6666' }),
      ],
    }),
  ];
  const duplicates: Duplicate[] = [
    { entity: 'patient', field: 'mrn', value: '0000042', rows: ['p1', 'p3'] },
  ];
  const sess = opts.permissions ? session({ permissions: opts.permissions }) : clinician;
  const patients: Record<string, ReturnType<typeof patientView>> = {
    p1: patientView(),
    p2: patientView({ id: 'p2', name: 'Sample, Bob', birth_date: '1970-01-02', mrn: '0000002' }),
    p3: patientView({ id: 'p3', name: 'Example, Cy', birth_date: '1990-07-07', mrn: '0000042' }),
  };
  const backend = new FakeBackend()
    .on('app.status', () => status({ session: sess }))
    .on('patient.get', ({ id }) => patients[id]!)
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', ({ patient }) =>
      summary({ open_conflicts: conflicts.filter((c) => c.patient === patient).length }),
    )
    .on('conflict.list', ({ patient }) =>
      patient ? conflicts.filter((c) => c.patient === patient) : conflicts,
    )
    .on('duplicate.list', () => duplicates)
    .on('allergy.get', () => allergy())
    .on('problem.get', ({ id }) => ({ ...allergy(), id, display: 'Type 2 diabetes' }) as never)
    .on('conflict.resolve', ({ row, field }) => {
      conflicts = conflicts.filter((c) => !(c.row === row && c.field === field));
      return allergy() as never;
    });
  onSync(backend, 'sync.status', () =>
    syncStatus({ open_conflicts: conflicts.length, duplicates: duplicates.length }),
  );
  onSync(backend, 'device.list', () => [
    device(),
    device({
      id: 'd2',
      device: 'eeee5555ffff6666aaaa',
      device_grouped: 'eeee 5555 ffff 6666 aaaa',
      name: 'Exam 2',
      this_workstation: false,
    }),
  ]);
  return { backend, resolved: () => backend.callsOf('conflict.resolve') };
}

async function openReview() {
  const nav = await screen.findByRole('navigation', { name: 'Main' });
  await fireEvent.click(within(nav).getByRole('button', { name: /^Needs review/ }));
  return screen.findByRole('main', { name: 'Needs review' });
}

async function openAnnsConflict() {
  await openReview();
  const ann = await screen.findByRole('region', { name: 'Testperson, Ann' });
  await fireEvent.click(within(ann).getByRole('button', { name: 'Review Allergy: Severity' }));
  return screen.findByRole('heading', { name: 'Allergy: Severity' });
}

describe('Needs review', () => {
  afterEach(() => cleanup());

  it('the navigation badge counts conflicts and duplicates together', async () => {
    render(Shell, { backend: practice().backend, pollEvery: noTicks });
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    // The count is read aloud as part of the button's name, not only shown in the badge.
    const button = await within(nav).findByRole('button', { name: 'Needs review 3 waiting' });
    expect(button.querySelector('.badge')?.textContent).toBe('3');
    expect(screen.getByRole('button', { name: /Synced · 3 to review/ })).toBeTruthy();
  });

  it('groups conflicts by chart under the patient’s name, and explains a duplicate MRN', async () => {
    render(Shell, { backend: practice().backend, pollEvery: noTicks });
    const page = await openReview();
    const ann = await within(page).findByRole('region', { name: 'Testperson, Ann' });
    const bob = within(page).getByRole('region', { name: 'Sample, Bob' });
    expect(ann.textContent).toContain('Allergy: Severity');
    expect(ann.textContent).toContain('Severe (Dr Lee, Front desk)');
    expect(ann.textContent).toContain('Moderate (Nurse Kim, Exam 2)');
    expect(bob.textContent).toContain('Problem: Note');
    // A workstation not (or no longer) in the device list: its id, grouped for reading.
    expect(bob.textContent).toContain('Diet only (Dr Lee, 1234 abcd 5678 ef90)');
    expect(bob.textContent).not.toContain('Severity');
    expect(page.textContent).toContain('MRN 0000042 is given to 2 patients');
    expect(page.textContent?.replace(/\s+/g, ' ')).toContain(
      "change the MRN of all but one in the patient's demographics",
    );
    expect(
      within(page).getByRole('button', { name: 'Open demographics of Example, Cy' }),
    ).toBeTruthy();
  });

  it('shows who entered each value, where and when, marks the shown one, and keeps the chosen one', async () => {
    const { backend, resolved } = practice();
    render(Shell, { backend, pollEvery: noTicks });
    await openAnnsConflict();
    const values = screen.getByRole('list', { name: 'Competing values' });
    const [first, second] = within(values).getAllByRole('listitem');
    expect(first!.textContent).toContain('Shown in the chart now');
    expect(first!.textContent).toContain('Severe');
    expect(second!.textContent).not.toContain('Shown in the chart now');
    await waitFor(() => expect(second!.textContent).toContain('Exam 2'));
    expect(second!.textContent).toContain('Entered by Nurse Kim');
    expect(second!.textContent).toContain('eeee 5555 ffff 6666 aaaa');
    expect(screen.getByRole('main', { name: 'Review a conflict' }).textContent).toContain(
      'Penicillin',
    );

    await fireEvent.click(
      within(second!).getByRole('button', { name: /^Keep this: Moderate, entered by Nurse Kim/ }),
    );
    const page = await screen.findByRole('main', { name: 'Needs review' });
    expect(resolved()).toEqual([{ row: 'a1', field: 'severity', choose: 'ch2' }]);
    await waitFor(() =>
      expect(within(page).queryByRole('region', { name: 'Testperson, Ann' })).toBeNull(),
    );
    expect(await within(page).findByRole('region', { name: 'Sample, Bob' })).toBeTruthy();
    await waitFor(() => expect(screen.getByRole('button', { name: /2 to review/ })).toBeTruthy());
  });

  it('records a merged value typed in the field’s own control', async () => {
    const { backend, resolved } = practice();
    render(Shell, { backend, pollEvery: noTicks });
    await openAnnsConflict();
    await fireEvent.click(screen.getByRole('button', { name: 'Enter a merged value' }));
    const severity = screen.getByLabelText('Severity') as HTMLSelectElement;
    expect(severity.value).toBe('severe');
    await fireEvent.change(severity, { target: { value: 'mild' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Record this value' }));
    await screen.findByRole('main', { name: 'Needs review' });
    expect(resolved()).toEqual([{ row: 'a1', field: 'severity', value: 'mild' }]);
  });

  it('shows the engine’s refusal and keeps what was typed', async () => {
    const { backend } = practice();
    backend.fail('conflict.resolve', 'invalid_input', 'note: at most 2000 characters');
    render(Shell, { backend, pollEvery: noTicks });
    await openReview();
    const bob = await screen.findByRole('region', { name: 'Sample, Bob' });
    await fireEvent.click(within(bob).getByRole('button', { name: 'Review Problem: Note' }));
    await screen.findByRole('heading', { name: 'Problem: Note' });
    await fireEvent.click(screen.getByRole('button', { name: 'Enter a merged value' }));
    const note = screen.getByLabelText('Note') as HTMLInputElement;
    await fireEvent.input(note, { target: { value: 'Diet, then metformin' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Record this value' }));
    expect((await screen.findByRole('alert')).textContent).toContain(
      'note: at most 2000 characters',
    );
    expect(screen.getByRole('heading', { name: 'Problem: Note' })).toBeTruthy();
    expect((screen.getByLabelText('Note') as HTMLInputElement).value).toBe('Diet, then metformin');
  });

  it('a conflict settled meanwhile on another workstation shows as settled', async () => {
    const { backend } = practice();
    render(Shell, { backend, pollEvery: noTicks });
    await openAnnsConflict();
    // Another workstation's resolution arrived: the engine no longer lists it.
    backend
      .on('conflict.list', () => [])
      .fail('conflict.resolve', 'not_found', 'There is no open conflict on severity of a1.');
    await fireEvent.click(screen.getByRole('button', { name: /^Keep this: Severe/ }));
    expect(await screen.findByRole('heading', { name: 'Already settled' })).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('no open conflict');
  });

  it('on a signed note only the signed text can be kept, and no merged value is offered', async () => {
    const { backend } = practice();
    backend.on('conflict.list', () => [
      conflict({
        row: 'n1',
        entity: 'note',
        field: 'plan',
        signed: true,
        shown: 'Recheck in 3 months',
        values: [
          competing({ change: 's1', value: 'Recheck in 3 months', signed: true }),
          competing({ change: 's2', value: 'Recheck in 6 weeks', author_name: 'Nurse Kim' }),
        ],
      }),
    ]);
    render(Shell, { backend, pollEvery: noTicks });
    await openReview();
    await fireEvent.click(await screen.findByRole('button', { name: 'Review Visit note: Plan' }));
    await screen.findByRole('heading', { name: 'Visit note: Plan' });
    expect(screen.getAllByRole('button', { name: /^Keep this/ })).toHaveLength(1);
    expect(screen.getByRole('button', { name: /^Keep this: Recheck in 3 months/ })).toBeTruthy();
    expect(screen.getByText('Proposed amendment')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Enter a merged value' })).toBeNull();
  });

  it('a role without resolve_conflicts sees the values but no Keep or merge', async () => {
    const { backend } = practice({
      permissions: ['demographics', 'edit_demographics', 'read_chart', 'write_chart'],
    });
    render(Shell, { backend, pollEvery: noTicks });
    await openAnnsConflict();
    expect(screen.queryByRole('button', { name: /^Keep this/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Enter a merged value' })).toBeNull();
    expect(screen.getByText(/Your role cannot settle conflicts/)).toBeTruthy();
  });

  it('the chart banner’s open-conflict count opens this chart’s conflicts only', async () => {
    const { backend } = practice();
    render(Shell, { backend, pollEvery: noTicks });
    const field = await screen.findByLabelText('Search patients');
    await fireEvent.input(field, { target: { value: 'ann' } });
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toContain('1 patient found'),
    );
    await fireEvent.keyDown(field, { key: 'Enter' });
    const banner = await screen.findByRole('region', { name: 'Patient banner' });
    await fireEvent.click(
      await within(banner).findByRole('button', { name: /^Open conflicts: 1/ }),
    );
    const page = await screen.findByRole('main', { name: 'Needs review' });
    await within(page).findByRole('region', { name: 'Testperson, Ann' });
    expect(within(page).queryByRole('region', { name: 'Sample, Bob' })).toBeNull();
    expect(backend.callsOf('conflict.list')).toContainEqual({ patient: 'p1' });
    expect(page.textContent).toContain('This chart only');
  });

  it('says how many more wait on records this role cannot open', async () => {
    const { backend } = practice();
    // An administrator reads no chart entries: the engine lists only the duplicate MRN.
    backend.on('conflict.list', () => []);
    render(Shell, { backend, pollEvery: noTicks });
    const page = await openReview();
    await within(page).findByText(/MRN 0000042 is given to 2 patients/);
    expect(page.textContent?.replace(/\s+/g, ' ')).toContain(
      '2 more are on records your role cannot open',
    );
  });
});
