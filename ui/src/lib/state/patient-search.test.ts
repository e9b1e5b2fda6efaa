import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hit } from '../api/types.gen';
import { ApiError } from '../api/errors';
import { PatientSearch } from './patient-search.svelte';

const hit = (id: string): Hit => ({ id, name: `Person ${id}` });

describe('PatientSearch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('searches once after typing pauses, not on every key', async () => {
    const search = vi.fn(async (q: string) => [hit(q)]);
    const s = new PatientSearch(search, 100);
    s.setQuery('d');
    s.setQuery('do');
    s.setQuery('doe');
    expect(search).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(search).toHaveBeenCalledTimes(1);
    expect(search).toHaveBeenCalledWith('doe');
    expect(s.results).toEqual([hit('doe')]);
    expect(s.active).toBe(0);
  });

  it('sends only the latest query once the search in flight answers', async () => {
    const pending: ((h: Hit[]) => void)[] = [];
    const search = vi.fn((q: string) => new Promise<Hit[]>((r) => pending.push(() => r([hit(q)]))));
    const s = new PatientSearch(search, 0);
    s.setQuery('a');
    await vi.advanceTimersByTimeAsync(0);
    s.setQuery('an');
    await vi.advanceTimersByTimeAsync(0);
    s.setQuery('ann');
    await vi.advanceTimersByTimeAsync(0);
    expect(search.mock.calls.map((c) => c[0])).toEqual(['a']);
    pending[0]?.([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(search.mock.calls.map((c) => c[0])).toEqual(['a', 'ann']);
    pending[1]?.([]);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.results).toEqual([hit('ann')]);
    expect(s.loading).toBe(false);
  });

  it('drops an answer to a query the field no longer holds', async () => {
    const pending: Record<string, (h: Hit[]) => void> = {};
    const search = vi.fn((q: string) => new Promise<Hit[]>((r) => (pending[q] = r)));
    const s = new PatientSearch(search, 0);
    s.setQuery('an');
    await vi.advanceTimersByTimeAsync(0);
    s.setQuery('ann');
    await vi.advanceTimersByTimeAsync(0);
    pending['an']?.([hit('old')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.results).toEqual([]);
    expect(search).toHaveBeenLastCalledWith('ann');
    pending['ann']?.([hit('new')]);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.results).toEqual([hit('new')]);
    expect(s.answered).toBe('ann');
  });

  it('moves the active row with the arrows and stays inside the list', async () => {
    const s = new PatientSearch(async () => [hit('1'), hit('2'), hit('3')], 0);
    s.setQuery('x');
    await vi.advanceTimersByTimeAsync(0);
    s.move(1);
    s.move(1);
    s.move(1);
    expect(s.activeHit?.id).toBe('3');
    s.move(-5);
    expect(s.activeHit?.id).toBe('1');
  });

  it('keeps the query and the last results when a search fails', async () => {
    let fail = false;
    const s = new PatientSearch(async () => {
      if (fail) throw new ApiError('storage_error', 'Disk is full.');
      return [hit('1')];
    }, 0);
    s.setQuery('a');
    await vi.advanceTimersByTimeAsync(0);
    fail = true;
    s.setQuery('ab');
    await vi.advanceTimersByTimeAsync(0);
    expect(s.query).toBe('ab');
    expect(s.error?.message).toBe('Disk is full.');
    expect(s.results).toEqual([hit('1')]);
  });

  it('clears results when the field is emptied', async () => {
    const s = new PatientSearch(async () => [hit('1')], 0);
    s.setQuery('a');
    await vi.advanceTimersByTimeAsync(0);
    s.setQuery('');
    expect(s.results).toEqual([]);
    expect(s.activeHit).toBeNull();
  });
});
