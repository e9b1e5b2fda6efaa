import { describe, expect, it } from 'vitest';
import { RecentCharts } from './recent-charts.svelte';

describe('RecentCharts', () => {
  it('lists the newest first, once each, up to the limit', () => {
    const r = new RecentCharts(2);
    r.add({ id: 'a', name: 'A', mrn: null });
    r.add({ id: 'b', name: 'B', mrn: null });
    r.add({ id: 'a', name: 'A', mrn: null });
    r.add({ id: 'c', name: 'C', mrn: null });
    expect(r.items.map((c) => c.id)).toEqual(['c', 'a']);
  });

  it('never touches browser storage', () => {
    const r = new RecentCharts();
    r.add({ id: 'a', name: 'Secret, Name', mrn: '1' });
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
  });
});
