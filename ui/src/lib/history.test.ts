import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from './api/types.gen';
import { fieldChanges, valueLabel } from './history';

const entry = (over: Partial<HistoryEntry>): HistoryEntry => ({
  at: '2026-01-01T10:00:00Z',
  author: 'u1',
  author_name: 'Dr Lee',
  change: 'c',
  device: 'abcd',
  fields: {},
  op: 'set',
  ...over,
});

describe('fieldChanges', () => {
  it('shows each later change as old → new, oldest first', () => {
    const rows = fieldChanges([
      entry({ at: '2026-01-02T10:00:00Z', fields: { severity: 'severe' } }),
      entry({ op: 'create', fields: { substance: 'Latex', severity: 'mild' } }),
    ]);
    expect(rows.map((r) => r.changes)).toEqual([
      [
        { field: 'substance', before: null, after: 'Latex' },
        { field: 'severity', before: null, after: 'mild' },
      ],
      [{ field: 'severity', before: 'mild', after: 'severe' }],
    ]);
  });

  it('labels lists and empty values readably', () => {
    expect(valueLabel(['hives', 'wheeze'])).toBe('hives, wheeze');
    expect(valueLabel(null)).toBe('—');
    expect(valueLabel('["nausea"]')).toBe('nausea');
  });
});
