import { describe, expect, it } from 'vitest';
import { ApiError } from '../../lib/api/errors';
import { syncStatus } from '../../lib/api/sync-fixtures';
import { statusLine } from './status-line';

/** A local time today, as RFC 3339, so the expected "HH:MM" does not depend on the zone. */
function todayAt(h: number, m: number, now: Date): string {
  const d = new Date(now);
  d.setHours(h, m, 0, 0);
  return d.toISOString();
}

describe('statusLine', () => {
  const now = new Date(2026, 2, 1, 15, 30);

  it('says synced, syncing, offline since HH:MM, or not paired', () => {
    expect(statusLine(syncStatus({ state: 'synced' }), null, now).text).toBe('Synced');
    expect(statusLine(syncStatus({ state: 'syncing' }), null, now).text).toBe('Syncing…');
    expect(
      statusLine(syncStatus({ state: 'offline', offline_since: todayAt(14, 5, now) }), null, now)
        .text,
    ).toBe('Offline since 14:05');
    expect(statusLine(syncStatus({ state: 'alone' }), null, now).text).toBe(
      'Not paired with another workstation',
    );
  });

  it('gives the day too when offline since before today', () => {
    const since = new Date(2026, 1, 27, 8, 0).toISOString();
    expect(statusLine(syncStatus({ state: 'offline', offline_since: since }), null, now).text).toBe(
      'Offline since 2026-02-27 08:00',
    );
  });

  it('adds what waits for review: conflicts and duplicates together', () => {
    const line = statusLine(syncStatus({ open_conflicts: 2, duplicates: 1 }), null, now);
    expect(line.text).toBe('Synced · 3 to review');
    expect(line.toReview).toBe(3);
  });

  it('says the status is unavailable when the engine could not answer', () => {
    const line = statusLine(null, new ApiError('network_error', 'not answering'), now);
    expect(line.text).toBe('Sync status unavailable');
  });
});
