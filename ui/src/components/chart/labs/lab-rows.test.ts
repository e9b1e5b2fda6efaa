import { describe, expect, it } from 'vitest';
import { emptyRow, labsRequest, rowProblem, type LabRow } from './lab-rows';

const row = (over: Partial<LabRow>): LabRow => ({ ...emptyRow(), ...over });

describe('labs form rows', () => {
  it('sends numbers as value_num, other values as text, with unit and range', () => {
    const req = labsRequest(
      'p1',
      [
        row({ code: '4548-4', value: '7,2', unit: '%', refLow: '4', refHigh: '5.6' }),
        row({ code: '5778-6', value: 'yellow' }),
        row({}),
      ],
      '',
      '2026-03-01T09:00:00.000Z',
    );
    expect(req).toEqual({
      patient: 'p1',
      effective: '2026-03-01T09:00:00.000Z',
      results: [
        { code: '4548-4', value_num: 7.2, unit: '%', ref_low: 4, ref_high: 5.6 },
        { code: '5778-6', value_text: 'yellow' },
      ],
    });
  });

  it('names what is missing or wrong in a row', () => {
    expect(rowProblem(row({ value: '5' }), 0)).toBe('Result 1: pick the test (LOINC code).');
    expect(rowProblem(row({ code: '4548-4' }), 1)).toBe('Result 2: give a value.');
    expect(rowProblem(row({ code: '4548-4', value: '5', refLow: '9', refHigh: '3' }), 0)).toContain(
      'low is above',
    );
    expect(() => labsRequest('p1', [row({})], '')).toThrow('Give at least one result.');
  });
});
