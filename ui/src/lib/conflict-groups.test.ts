import { describe, expect, it } from 'vitest';
import { conflict } from './api/sync-fixtures';
import { groupByChart } from './conflict-groups';

describe('groupByChart', () => {
  it('puts each chart’s conflicts together, charts in the order of their oldest, practice-wide last', () => {
    const list = [
      conflict({ row: 'a1', patient: 'p2' }),
      conflict({ row: 'u1', entity: 'user', field: 'role', patient: null }),
      conflict({ row: 'a2', patient: 'p1' }),
      conflict({ row: 'a3', patient: 'p2', field: 'note' }),
    ];
    const groups = groupByChart(list);
    expect(groups.map((g) => g.patient)).toEqual(['p2', 'p1', null]);
    expect(groups[0]!.conflicts.map((c) => c.row)).toEqual(['a1', 'a3']);
    expect(groups[2]!.conflicts.map((c) => c.entity)).toEqual(['user']);
  });

  it('has no groups when nothing conflicts', () => {
    expect(groupByChart([])).toEqual([]);
  });
});
