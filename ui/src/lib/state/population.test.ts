import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { dueListAnswer, registryAnswer } from '../api/fixtures';
import { monthOf } from '../due-lists';
import { EventBus } from '../events';
import { DUE_PAGE, PopulationState } from './population.svelte';

function setup() {
  const backend = new FakeBackend()
    .on('cds.due_list', ({ rules }) =>
      rules?.length
        ? dueListAnswer({ csv: `only ${rules.join(',')}`, recall_csv: `recall ${rules[0]}` })
        : dueListAnswer(),
    )
    .on('registry.list', () => registryAnswer());
  const pop = new PopulationState({ backend, events: new EventBus() }, '2026-12-15');
  return { backend, pop };
}

describe('the population lists', () => {
  it('starts on this month', () => {
    expect(monthOf('2026-12-15')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(monthOf('2028-02-03')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    const { pop } = setup();
    expect([pop.from, pop.to]).toEqual(['2026-12-01', '2026-12-31']);
  });

  it('asks for the period, and filters the rows and the recall list by rule', async () => {
    const { backend, pop } = setup();
    await pop.loadDue();
    expect(backend.callsOf('cds.due_list')).toEqual([
      { from: '2026-12-01', to: '2026-12-31', rules: [], csv: false, limit: DUE_PAGE, offset: 0 },
    ]);
    expect(pop.rows.map((r) => r.patient.mrn)).toEqual(['0000001', '0000002']);
    pop.rule = 'depression_screening_adults';
    expect(pop.rows.map((r) => r.patient.mrn)).toEqual(['0000002']);
    expect(pop.recall.map((e) => e.patient.mrn)).toEqual(['0000002']);
    expect(pop.rowsTotal).toBe(1);
    // The page held the whole list, so the rule needed no second read.
    expect(backend.callsOf('cds.due_list')).toHaveLength(1);
    pop.rule = '';
    expect(pop.recall).toHaveLength(2);
  });

  it('reads a rule on its own when the page of all rules was cut short', async () => {
    const whole = dueListAnswer();
    const backend = new FakeBackend().on('cds.due_list', ({ rules }) =>
      rules?.length
        ? dueListAnswer({
            list: { ...whole.list, rows: whole.list.rows.filter((r) => r.rule === rules[0]) },
            rows_total: 1,
            recall_total: 1,
          })
        : // The first page holds one row of the three the practice has.
          dueListAnswer({
            list: { ...whole.list, rows: whole.list.rows.slice(0, 1) },
            rows_total: 3,
          }),
    );
    const pop = new PopulationState({ backend, events: new EventBus() }, '2026-12-15');
    await pop.loadDue();
    expect(pop.rowsTotal).toBe(3);
    expect(pop.rows).toHaveLength(1);
    pop.rule = 'depression_screening_adults';
    await vi.waitFor(() => expect(pop.ruleDue).not.toBeNull());
    expect(backend.callsOf('cds.due_list').at(-1)).toMatchObject({
      rules: ['depression_screening_adults'],
      limit: DUE_PAGE,
    });
    expect(pop.rows.map((r) => r.patient.mrn)).toEqual(['0000002']);
    expect(pop.rowsTotal).toBe(1);
  });

  it('filters registries, and exports the CSV of what is shown', async () => {
    const { backend, pop } = setup();
    await Promise.all([pop.loadDue(), pop.loadRegistries()]);
    expect(await pop.csv()).toEqual({
      name: 'due-all-2026-12-01-to-2026-12-31.csv',
      text: dueListAnswer().csv,
    });
    pop.rule = 'colorectal_cancer_screening';
    pop.tab = 'recall';
    expect(await pop.csv()).toEqual({
      name: 'recall-colorectal_cancer_screening-2026-12-01-to-2026-12-31.csv',
      text: 'recall colorectal_cancer_screening',
    });
    pop.tab = 'registries';
    pop.registry = 'warfarin_inr';
    expect(pop.lists.map((l) => l.registry)).toEqual(['warfarin_inr']);
    await pop.csv();
    expect(backend.callsOf('registry.list').at(-1)).toEqual({ registries: ['warfarin_inr'] });
  });
});
