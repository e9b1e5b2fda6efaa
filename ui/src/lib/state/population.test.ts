import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { dueListAnswer, registryAnswer } from '../api/fixtures';
import { monthOf } from '../due-lists';
import { EventBus } from '../events';
import { PopulationState } from './population.svelte';

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
      { from: '2026-12-01', to: '2026-12-31', rules: [] },
    ]);
    expect(pop.rows.map((r) => r.patient.mrn)).toEqual(['0000001', '0000002']);
    pop.rule = 'depression_screening_adults';
    expect(pop.rows.map((r) => r.patient.mrn)).toEqual(['0000002']);
    expect(pop.recall.map((e) => e.patient.mrn)).toEqual(['0000002']);
    pop.rule = '';
    expect(pop.recall).toHaveLength(2);
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
