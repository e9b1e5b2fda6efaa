import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../../lib/api/fake-backend';
import {
  cms122Evaluation,
  duePanel,
  measureInfos,
  ruleStatus,
  session,
  status,
  summary,
  vaccineLine,
} from '../../../lib/api/fixtures';
import type { DeclineAdd, Measure } from '../../../lib/api/types.gen';
import Shell from '../../app/Shell.svelte';

function practice(missing: Measure[] = []) {
  const declines: DeclineAdd[] = [];
  const backend = new FakeBackend()
    .on('measure.list', () => measureInfos(missing))
    .on('measure.evaluate', ({ measure, from, to }) =>
      measure === 'CMS122'
        ? cms122Evaluation({ from, to })
        : cms122Evaluation({ measure: measure as Measure, from, to, groups: [] }),
    )
    .on('app.status', () => status({ session: session() }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', () => summary())
    .on('cds.due', () =>
      duePanel({
        preventive: [
          ruleStatus({
            rule: 'lung_cancer_screening',
            title: 'Lung cancer screening',
            status: { status: 'not_applicable', why: 'never smoked', missing: [] },
            due: null,
          }),
          ruleStatus({
            rule: 'depression_screening_adults',
            title: 'Depression screening',
            status: { status: 'due' },
            due: '2026-12-01',
          }),
          declines.length > 0
            ? ruleStatus({
                status: { status: 'declined', reason: 'prefers not', date: '2026-12-01' },
              })
            : ruleStatus(),
        ],
        immunizations: {
          ...duePanel().immunizations!,
          lines: [
            vaccineLine({ vaccine_group: 'HPV', due: 'not_recommended', reasons: ['aged out'] }),
            vaccineLine({ vaccine_group: 'Td', due: 'overdue', past_due_date: '2020-01-01' }),
          ],
        },
        registries: [
          {
            registry: 'warfarin_inr',
            title: 'Warfarin: no INR in 6 weeks',
            because: ['active medication "Warfarin"'],
            flags: ['no INR on record'],
          },
        ],
      }),
    )
    .on('decline.add', (a) => {
      declines.push(a);
      return {
        ...a,
        id: 'd1',
        created_at: 1,
        created_by: 'u1',
        created_change: 'c1',
        updated_at: 1,
        updated_by: 'u1',
        retracted: false,
      };
    });
  return backend;
}

async function openChart() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  return screen.findByRole('region', { name: 'Due' });
}

describe('the Due panel in the chart summary', () => {
  afterEach(() => cleanup());

  it('lists overdue before due, the why and citation on demand, the forecast and registries', async () => {
    render(Shell, { backend: practice() });
    const panel = await openChart();
    const screenings = await within(panel).findByRole('list', {
      name: 'Screenings and preventive care',
    });
    const items = within(screenings).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      expect.stringContaining('Colorectal cancer screening'),
      expect.stringContaining('Depression screening'),
    ]);
    expect(items[0]!.textContent).toContain('Overdue since 2026-11-01');

    const why = within(panel).getByRole('button', { name: 'Why: Colorectal cancer screening' });
    expect(why.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(why);
    expect(why.getAttribute('aria-expanded')).toBe('true');
    expect(panel.textContent).toContain('age 46 on 2026-12-01');
    expect(panel.textContent).toContain('USPSTF, Colorectal Cancer: Screening (grade A/B');

    // Not applicable ones are collapsed, with their why.
    const na = within(panel).getByText('Not applicable (1)').closest('details')!;
    expect(na.open).toBe(false);
    expect(na.textContent).toContain('never smoked');

    const forecast = within(panel).getByRole('table', { name: 'Immunization forecast' });
    expect(within(forecast).getAllByRole('row')[1]!.textContent).toContain('Td');
    expect(forecast.textContent).not.toContain('HPV');
    expect(panel.textContent).toContain('Not recommended (1)');
    expect(panel.textContent).toContain('Warfarin: no INR in 6 weeks');
    expect(panel.textContent).toContain('no INR on record');
  }, 20_000);

  it('records that the patient declined, with the reason, and shows it declined', async () => {
    const backend = practice();
    render(Shell, { backend });
    const panel = await openChart();
    await fireEvent.click(
      await within(panel).findByRole('button', {
        name: 'Patient declined Colorectal cancer screening',
      }),
    );
    const form = within(panel).getByRole('form', {
      name: 'Patient declined Colorectal cancer screening',
    });
    const record = within(form).getByRole('button', { name: 'Record decline' });
    expect((record as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(within(form).getByLabelText('What the patient said (required)'), {
      target: { value: 'prefers not' },
    });
    await fireEvent.click(record);
    await within(panel).findByText('Declined 2026-12-01: prefers not');
    expect(backend.callsOf('decline.add')).toEqual([
      expect.objectContaining({
        patient: 'p1',
        rule: 'colorectal_cancer_screening',
        reason: 'prefers not',
      }),
    ]);
  }, 20_000);

  it('lists the quality measures the patient is open on, read after the rest', async () => {
    const backend = practice(['CMS130']);
    render(Shell, { backend });
    const panel = await openChart();
    const list = await within(panel).findByRole('list', { name: 'Quality measures' });
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(1);
    expect(items[0]!.textContent).toContain('CMS122');
    expect(items[0]!.textContent).toContain('To close: An HbA1c (or GMI) in the period');
    expect(items[0]!.textContent).toContain('Because: no HbA1c or GMI in the period');
    const year = new Date().getFullYear();
    expect(panel.textContent).toContain(`Measurement period ${year}-01-01 to ${year}-12-31`);
    expect(panel.textContent).toContain('Not computed (value sets not imported): CMS130');
    const order = backend.calls.map((c) => c.command);
    expect(order.indexOf('cds.due')).toBeLessThan(order.indexOf('measure.list'));
    expect(backend.callsOf('measure.evaluate')).toContainEqual({
      measure: 'CMS122',
      from: `${year}-01-01`,
      to: `${year}-12-31`,
      patient: 'p1',
    });
  }, 20_000);

  it('leaves the measures out in one line when the value sets are not imported', async () => {
    const backend = practice(['CMS122', 'CMS165', 'CMS125', 'CMS130', 'CMS138']);
    render(Shell, { backend });
    const panel = await openChart();
    await within(panel).findByText(/Not computed: the practice has not imported/);
    expect(within(panel).queryByRole('alert')).toBeNull();
    expect(backend.callsOf('measure.evaluate')).toEqual([]);
  }, 20_000);

  it('shows a failure to check the measures as a small note, not an alert', async () => {
    const backend = practice().fail('measure.evaluate', 'storage_error', 'disk gone');
    render(Shell, { backend });
    const panel = await openChart();
    await within(panel).findByText(/Could not check the quality measures: disk gone/);
    expect(within(panel).queryByRole('alert')).toBeNull();
    expect(
      within(panel).getByRole('list', { name: 'Screenings and preventive care' }),
    ).toBeTruthy();
    backend.on('measure.evaluate', ({ measure, from, to }) =>
      cms122Evaluation({ measure: measure as Measure, from, to }),
    );
    await fireEvent.click(within(panel).getByRole('button', { name: 'Try again' }));
    await within(panel).findByRole('list', { name: 'Quality measures' });
  }, 20_000);
});
