import { describe, expect, it } from 'vitest';
import { checkVitals, emptyDraft, liveBmi, vitalsRequest, type VitalsDraft } from './vitals-form';

function draft(over: Partial<VitalsDraft>): VitalsDraft {
  return { ...emptyDraft(), ...over };
}

const levels = (d: VitalsDraft) => checkVitals(d).map((f) => `${f.measure}:${f.level}`);

describe('vitals form', () => {
  it('sends only what was typed, converted to kg, cm and °C', () => {
    const d = draft({
      weight: '160',
      weightUnit: 'lb',
      height: '70',
      heightUnit: 'in',
      temperature: '98.6',
      temperatureUnit: 'F',
      systolic: '120',
      diastolic: '80',
    });
    expect(vitalsRequest('p1', d)).toEqual({
      patient: 'p1',
      weight: 72.575,
      height: 177.8,
      temperature: 37,
      systolic: 120,
      diastolic: 80,
    });
  });

  it('shows BMI as soon as weight and height are there, in either units', () => {
    expect(liveBmi(draft({ weight: '70' }))).toBeNull();
    expect(liveBmi(draft({ weight: '70', height: '175' }))).toBe(22.9);
    expect(
      liveBmi(draft({ weight: '154.3', weightUnit: 'lb', height: '68.9', heightUnit: 'in' })),
    ).toBe(22.9);
    expect(liveBmi(draft({ weight: 'x', height: '175' }))).toBeNull();
  });

  it('refuses what the engine would refuse: 700 kg, 15 °C, systolic not above diastolic', () => {
    expect(levels(draft({ weight: '700' }))).toEqual(['weight:error']);
    expect(checkVitals(draft({ weight: '500' }))[0]!.message).toContain('Was it in lb?');
    expect(levels(draft({ temperature: '15' }))).toEqual(['temperature:error']);
    expect(levels(draft({ systolic: '80', diastolic: '120' }))).toEqual(['diastolic:error']);
    expect(levels(draft({ systolic: '120', diastolic: '120' }))).toEqual(['diastolic:error']);
    expect(levels(draft({ pain: '4.5' }))).toEqual(['pain:error']);
    expect(levels(draft({ heart_rate: 'fast' }))).toEqual(['heart_rate:error']);
  });

  it('asks about values that are possible but seldom real, hinting at the wrong unit', () => {
    expect(levels(draft({ weight: '300' }))).toEqual(['weight:warning']);
    const hot = checkVitals(draft({ temperature: '98.6' }));
    expect(hot.map((f) => f.level)).toEqual(['error']);
    expect(hot[0]!.message).toContain('°F');
    expect(levels(draft({ spo2: '75' }))).toEqual(['spo2:warning']);
    expect(levels(draft({ weight: '70', height: '50' }))).toEqual(['bmi:warning']);
  });

  it('finds nothing to say about ordinary vitals', () => {
    expect(
      checkVitals(
        draft({
          systolic: '128',
          diastolic: '82',
          heart_rate: '72',
          resp_rate: '14',
          temperature: '36.8',
          spo2: '98',
          weight: '82',
          height: '178',
          pain: '2',
        }),
      ),
    ).toEqual([]);
    expect(checkVitals(emptyDraft())).toEqual([]);
  });
});
