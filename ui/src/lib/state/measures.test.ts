import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { cms122Evaluation, cms165Evaluation, measureInfos } from '../api/fixtures';
import type { Measure } from '../api/types.gen';
import { EventBus } from '../events';
import { MeasuresState } from './measures.svelte';
import { PatientMeasuresState } from './patient-measures.svelte';

function setup(missing: Measure[] = []) {
  const backend = new FakeBackend()
    .on('measure.list', () => measureInfos(missing))
    .on('measure.evaluate', ({ measure, from, to }) =>
      measure === 'CMS122' ? cms122Evaluation({ from, to }) : cms165Evaluation({ from, to }),
    );
  const state = new MeasuresState({ backend, events: new EventBus() }, '2026-12-03');
  return { backend, state };
}

describe('the quality measures tab', () => {
  it('starts on this calendar year, and offers last year', () => {
    const { state } = setup();
    expect([state.from, state.to]).toEqual(['2026-01-01', '2026-12-31']);
    expect(state.isYear(0)).toBe(true);
    state.setYear(-1);
    expect([state.from, state.to]).toEqual(['2025-01-01', '2025-12-31']);
    expect(state.isYear(-1)).toBe(true);
  });

  it('computes a measure only when chosen, for the period in the fields', async () => {
    const { backend, state } = setup();
    await state.loadList();
    expect(state.measures?.map((m) => m.measure)).toEqual([
      'CMS122',
      'CMS165',
      'CMS125',
      'CMS130',
      'CMS138',
    ]);
    expect(backend.callsOf('measure.evaluate')).toEqual([]);
    state.setYear(-1);
    await state.choose('CMS122');
    expect(backend.callsOf('measure.evaluate')).toEqual([
      { measure: 'CMS122', from: '2025-01-01', to: '2025-12-31' },
    ]);
    const g = state.evaluation!.groups[0]!;
    expect([g.initial_population.count, g.denominator.count, g.numerator.count]).toEqual([3, 3, 1]);
  });

  it('lists, for an inverse measure, the numerator as the gaps to close', async () => {
    const { state } = setup();
    await state.loadList();
    await state.choose('CMS122');
    expect(state.evaluation?.higher_is_better).toBe(false);
    // Ann has no HbA1c: poor control, the one to act on; Bob (in control) is not listed.
    expect(state.shown).toEqual({ group: 1, list: 'gaps' });
    expect(state.shownPatients.map((m) => [m.mrn, m.because])).toEqual([
      ['0000001', 'no HbA1c or GMI in the period'],
    ]);
    state.show(1, 'denominator_exclusion');
    expect(state.shownPatients.map((m) => m.mrn)).toEqual(['0000003']);
  });

  it('lists, for a measure where higher is better, the engine’s gaps', async () => {
    const { state } = setup();
    await state.loadList();
    await state.choose('CMS165');
    expect(state.shownPatients.map((m) => m.mrn)).toEqual(['0000001']);
    state.show(1, 'numerator');
    expect(state.shownPatients.map((m) => m.because)).toEqual([
      'last blood pressure 128/82 on 2025-10-01',
    ]);
    // Another measure starts again on its gaps.
    await state.choose('CMS122');
    expect(state.shown.list).toBe('gaps');
  });

  it('does not compute a measure whose value sets are missing, and says so', async () => {
    const { backend, state } = setup(['CMS130']);
    await state.loadList();
    expect(state.noValueSets).toBe(false);
    await state.choose('CMS130');
    expect(backend.callsOf('measure.evaluate')).toEqual([]);
    expect(state.info?.missing_value_sets).toHaveLength(2);
    expect(state.evaluation).toBeNull();
    expect(state.error).toBeNull();

    const none = setup(['CMS122', 'CMS165', 'CMS125', 'CMS130', 'CMS138']);
    await none.state.loadList();
    expect(none.state.noValueSets).toBe(true);
  });

  it('takes the engine’s value_sets_missing as missing value sets, not a failure', async () => {
    const { backend, state } = setup();
    backend.fail('measure.evaluate', 'value_sets_missing', 'CMS122 needs value sets (…)');
    await state.loadList();
    await state.choose('CMS122');
    expect(state.missing).toBe('CMS122 needs value sets (…)');
    expect(state.error).toBeNull();

    backend.fail('measure.evaluate', 'storage_error', 'disk gone');
    await state.evaluate();
    expect(state.error?.message).toBe('disk gone');
    expect(state.missing).toBeNull();
  });

  it('exports one CSV row per patient and population, gaps included', async () => {
    const { state } = setup();
    await state.loadList();
    expect(state.csv()).toBeNull();
    state.setYear(-1);
    await state.choose('CMS122');
    const file = state.csv()!;
    expect(file.name).toBe('measure-CMS122-2025-01-01-to-2025-12-31.csv');
    const lines = file.text.split('\r\n');
    expect(lines[0]).toBe('measure,period,group,population,patient_id,mrn,name,because');
    expect(lines.at(-1)).toBe('');
    // 3 initial population, 3 denominator, 1 exclusion, 1 numerator, 1 gap to close.
    expect(lines.slice(1, -1)).toHaveLength(9);
    expect(lines).toContain(
      'CMS122,2025-01-01..2025-12-31,1,Numerator,p1,0000001,"Testperson, Ann",no HbA1c or GMI in the period',
    );
    expect(lines).toContain(
      'CMS122,2025-01-01..2025-12-31,1,Gaps to close,p1,0000001,"Testperson, Ann",no HbA1c or GMI in the period',
    );
    expect(lines).toContain(
      `CMS122,2025-01-01..2025-12-31,1,Denominator exclusions,p3,0000003,"Example, Cy",hospice care assessment 'yes' on 2025-06-01`,
    );
  });
});

describe('the Due panel’s quality measures', () => {
  it('lists the measures the patient is open on this year, with what closes them', async () => {
    const backend = new FakeBackend()
      .on('measure.list', () => measureInfos(['CMS130']))
      .on('measure.evaluate', ({ measure, from, to }) =>
        measure === 'CMS122'
          ? cms122Evaluation({ from, to })
          : measure === 'CMS165'
            ? cms165Evaluation({ from, to })
            : cms165Evaluation({ measure: measure as Measure, groups: [], from, to }),
      );
    const qm = new PatientMeasuresState({ backend, events: new EventBus() }, 'p1', '2026-12-03');
    await qm.load();
    expect(backend.callsOf('measure.evaluate')).toContainEqual({
      measure: 'CMS122',
      from: '2026-01-01',
      to: '2026-12-31',
      patient: 'p1',
    });
    // CMS130 lacks its value sets: not asked, named apart.
    expect(backend.callsOf('measure.evaluate')).toHaveLength(4);
    expect(qm.notComputed.map((m) => m.measure)).toEqual(['CMS130']);
    expect(qm.open.map((o) => [o.measure, o.because])).toEqual([
      ['CMS122', 'no HbA1c or GMI in the period'],
      ['CMS165', 'aged 60, office visit on 2025-03-01, essential hypertension from 2019-01-01'],
    ]);
    expect(qm.open[0]!.hint).toMatch(/HbA1c/);
    expect(qm.open[1]!.hint).toMatch(/140\/90/);
    expect(qm.noneComputed).toBe(false);
  });

  it('says nothing but one line when no value sets are imported', async () => {
    const backend = new FakeBackend().on('measure.list', () =>
      measureInfos(['CMS122', 'CMS165', 'CMS125', 'CMS130', 'CMS138']),
    );
    const qm = new PatientMeasuresState({ backend, events: new EventBus() }, 'p1', '2026-12-03');
    await qm.load();
    expect(backend.callsOf('measure.evaluate')).toEqual([]);
    expect(qm.noneComputed).toBe(true);
    expect(qm.error).toBeNull();
  });

  it('keeps a failure to itself', async () => {
    const backend = new FakeBackend()
      .on('measure.list', () => measureInfos())
      .fail('measure.evaluate', 'storage_error', 'disk gone');
    const qm = new PatientMeasuresState({ backend, events: new EventBus() }, 'p1', '2026-12-03');
    await qm.load();
    expect(qm.error?.message).toBe('disk gone');
    expect(qm.loaded).toBe(false);
  });
});
