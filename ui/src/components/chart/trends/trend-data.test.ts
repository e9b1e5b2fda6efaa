import { describe, expect, it } from 'vitest';
import type { ObservationRecord, Point } from '../../../lib/api/types.gen';
import { alignSeries, availableTrends, isAbnormal, rangesFor, KNOWN_TRENDS } from './trend-data';

const meta = {
  created_at: 0,
  created_by: 'u',
  created_change: 'c',
  updated_at: 0,
  updated_by: 'u',
  retracted: false,
};
const obs = (over: Partial<ObservationRecord>): ObservationRecord => ({
  ...meta,
  id: 'o',
  value_num: 1,
  ...over,
});
const pt = (effective: string, value_num: number, flag: string | null = null): Point => ({
  id: effective,
  effective,
  value_num,
  flag,
});

describe('trend data', () => {
  it('offers the known plots that have values first, then other labs by name', () => {
    const list = availableTrends([
      obs({ code: '2345-7', category: 'lab', display: 'Glucose' }),
      obs({ code: '8462-4', category: 'vital' }),
      obs({ code: '4548-4', category: 'lab' }),
      obs({ code: '2093-3', category: 'lab', display: 'Cholesterol', retracted: true }),
      obs({ code: '8302-2', category: 'vital' }),
    ]);
    expect(list.map((t) => t.id)).toEqual(['bp', 'hba1c', 'lab-2345-7']);
  });

  it('takes the range of the latest result, else the usual one', () => {
    const hba1c = KNOWN_TRENDS.find((t) => t.id === 'hba1c')!;
    const bmi = KNOWN_TRENDS.find((t) => t.id === 'bmi')!;
    const bp = KNOWN_TRENDS.find((t) => t.id === 'bp')!;
    const list = [
      obs({ code: '4548-4', effective: '2025-01-01T00:00:00Z', ref_low: 4, ref_high: 6 }),
      obs({ code: '4548-4', effective: '2026-01-01T00:00:00Z', ref_low: 4, ref_high: 5.6 }),
    ];
    expect(rangesFor(hba1c, list)).toEqual([{ low: 4, high: 5.6 }]);
    expect(rangesFor(bmi, list)).toEqual([{ low: 18.5, high: 25 }]);
    expect(rangesFor(hba1c, [])).toEqual([null]);
    expect(rangesFor(bp, [])).toEqual([
      { low: 90, high: 130 },
      { low: 60, high: 85 },
    ]);
  });

  it('marks points by the engine flag, or by the range when there is none', () => {
    expect(isAbnormal(pt('t', 7, 'H'), null)).toBe(true);
    expect(isAbnormal(pt('t', 7, 'N'), { low: 0, high: 5 })).toBe(false);
    expect(isAbnormal(pt('t', 7), { low: null, high: 5 })).toBe(true);
    expect(isAbnormal(pt('t', 3), { low: 4, high: null })).toBe(true);
    expect(isAbnormal(pt('t', 4.5), { low: 4, high: 5 })).toBe(false);
  });

  it('aligns both BP lines on their times, oldest first, with gaps as null', () => {
    const a = alignSeries(
      [
        [pt('2026-02-01T00:00:00Z', 150, 'H'), pt('2026-01-01T00:00:00Z', 120)],
        [pt('2026-01-01T00:00:00Z', 80), pt('2026-03-01T00:00:00Z', 95)],
      ],
      [
        { low: 90, high: 130 },
        { low: 60, high: 85 },
      ],
    );
    expect(a.times).toEqual([1767225600, 1769904000, 1772323200]);
    expect(a.values).toEqual([
      [120, 150, null],
      [80, null, 95],
    ]);
    expect(a.abnormal[0]).toEqual([false, true, false]);
    expect(a.abnormal[1]).toEqual([false, false, true]);
    expect(a.rows[1]).toEqual({
      at: '2026-02-01T00:00:00Z',
      values: [150, null],
      abnormal: [true, false],
    });
  });
});
