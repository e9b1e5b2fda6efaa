import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { duePanel, ruleStatus, vaccineLine } from '../api/fixtures';
import { EventBus, type AppEvents } from '../events';
import { today } from '../dates';
import { DuePanelState, groupRules, groupVaccines } from './due-panel.svelte';

const rule = (id: string, status: Parameters<typeof ruleStatus>[0]) =>
  ruleStatus({ rule: id, title: id, ...status });

describe('the Due panel groups', () => {
  it('puts overdue, due and due soon first (by date), then declined, done, not applicable', () => {
    const rules = [
      rule('na', { status: { status: 'not_applicable', why: 'age 46 is under 50', missing: [] } }),
      rule('soon', { status: { status: 'due_soon' }, due: '2027-01-10' }),
      rule('done', { status: { status: 'satisfied', by: 'FIT', date: '2026-01-01' } }),
      rule('due', { status: { status: 'due' }, due: '2026-12-01' }),
      rule('late2', { status: { status: 'overdue', days_overdue: 3 }, due: '2026-11-28' }),
      rule('late1', { status: { status: 'overdue', days_overdue: 300 }, due: '2026-02-01' }),
      rule('no', { status: { status: 'declined', reason: 'not now', date: '2026-10-01' } }),
    ];
    const g = groupRules(rules);
    expect(g.open.map((r) => r.rule)).toEqual(['late1', 'late2', 'due', 'soon']);
    expect(g.declined.map((r) => r.rule)).toEqual(['no']);
    expect(g.satisfied.map((r) => r.rule)).toEqual(['done']);
    expect(g.notApplicable.map((r) => r.rule)).toEqual(['na']);
  });

  it('orders the forecast overdue, due now, due soon, later, complete; not recommended apart', () => {
    const lines = [
      vaccineLine({ vaccine_group: 'HPV', due: 'not_recommended' }),
      vaccineLine({ vaccine_group: 'MMR', due: 'complete' }),
      vaccineLine({ vaccine_group: 'Flu', due: 'due_now' }),
      vaccineLine({ vaccine_group: 'RSV', due: 'later' }),
      vaccineLine({ vaccine_group: 'Td', due: 'overdue' }),
      vaccineLine({ vaccine_group: 'Zoster', due: 'due_soon' }),
    ];
    const g = groupVaccines(lines);
    expect(g.shown.map((l) => l.vaccine_group)).toEqual(['Td', 'Flu', 'Zoster', 'RSV', 'MMR']);
    expect(g.notRecommended.map((l) => l.vaccine_group)).toEqual(['HPV']);
  });

  it('writes today as the calendar day', () => {
    expect(today(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });
});

describe('DuePanelState', () => {
  it('loads, records a decline, and reloads when the chart is saved', async () => {
    const events = new EventBus<AppEvents>();
    let declined = false;
    const backend = new FakeBackend()
      .on('cds.due', () =>
        duePanel({
          preventive: [
            declined
              ? ruleStatus({
                  status: { status: 'declined', reason: 'not now', date: '2026-12-01' },
                })
              : ruleStatus(),
          ],
        }),
      )
      .on('decline.add', (a) => {
        declined = true;
        return {
          id: 'd1',
          patient: a.patient,
          rule: a.rule,
          reason: a.reason,
          date: a.date,
          created_at: 1,
          created_by: 'u1',
          created_change: 'c1',
          updated_at: 1,
          updated_by: 'u1',
          retracted: false,
        };
      });
    const state = new DuePanelState({ backend, events }, 'p1');
    await state.load();
    expect(state.groups.open).toHaveLength(1);
    expect(await state.decline('colorectal_cancer_screening', ' not now ', '2026-12-01')).toBe(
      true,
    );
    expect(backend.callsOf('decline.add')).toEqual([
      {
        patient: 'p1',
        rule: 'colorectal_cancer_screening',
        reason: 'not now',
        date: '2026-12-01',
      },
    ]);
    // decline.add announced record-saved; the panel reloads from it.
    await vi.waitFor(() => expect(state.groups.declined).toHaveLength(1));
    expect(backend.callsOf('cds.due')).toHaveLength(2);
    expect(state.groups.declined.map((r) => r.rule)).toEqual(['colorectal_cancer_screening']);
    expect(state.groups.open).toEqual([]);
    state.dispose();
  });
});
