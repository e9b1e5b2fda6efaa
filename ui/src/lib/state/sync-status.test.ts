import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { onSync, syncStatus } from '../api/sync-fixtures';
import { EventBus, type AppEvents } from '../events';
import { SYNC_POLL_MS, SyncStatusState, type Every } from './sync-status.svelte';

/** A timer the test fires by hand. */
function manualTimer() {
  const timers: { ms: number; fn: () => void }[] = [];
  const every: Every = (ms, fn) => {
    const t = { ms, fn };
    timers.push(t);
    return () => timers.splice(timers.indexOf(t), 1);
  };
  return { every, timers, fire: () => timers.forEach((t) => t.fn()) };
}

function setup() {
  let state: 'synced' | 'offline' = 'synced';
  const backend = new FakeBackend();
  onSync(backend, 'sync.status', () => syncStatus({ state, open_conflicts: 1 }));
  const events = new EventBus<AppEvents>();
  const timer = manualTimer();
  const sync = new SyncStatusState({ backend, events }, timer.every);
  return { backend, events, timer, sync, go: (s: typeof state) => (state = s) };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SyncStatusState', () => {
  it('asks at start, then on every 10-second tick', async () => {
    const { backend, timer, sync, go } = setup();
    sync.start();
    await settle();
    expect(sync.status?.state).toBe('synced');
    expect(sync.toReview).toBe(1);
    expect(timer.timers.map((t) => t.ms)).toEqual([SYNC_POLL_MS]);
    go('offline');
    timer.fire();
    await settle();
    expect(sync.status?.state).toBe('offline');
    expect(backend.callsOf('sync.status' as never)).toHaveLength(2);
  });

  it('asks again after every write the app announces, and not after stop', async () => {
    const { backend, events, sync } = setup();
    sync.start();
    await settle();
    events.emit('record-saved', { kind: 'allergy', patient: 'p1', id: 'a1' });
    await settle();
    events.emit('conflict-resolved', {
      row: 'a1',
      field: 'severity',
      entity: 'allergy',
      patient: 'p1',
    });
    await settle();
    expect(backend.callsOf('sync.status' as never)).toHaveLength(3);
    sync.stop();
    events.emit('patient-saved', { patient: 'p1' });
    await settle();
    expect(backend.callsOf('sync.status' as never)).toHaveLength(3);
  });

  it('does not stack calls: writes during a call make one more call, not one each', async () => {
    const { backend, events, sync } = setup();
    sync.start();
    events.emit('record-saved', { kind: 'allergy', patient: 'p1', id: 'a1' });
    events.emit('record-saved', { kind: 'allergy', patient: 'p1', id: 'a2' });
    await settle();
    await settle();
    expect(backend.callsOf('sync.status' as never)).toHaveLength(2);
  });

  it('keeps the engine’s error to show', async () => {
    const { backend, sync } = setup();
    backend.fail('sync.status' as never, 'internal_error', 'The sync service is not running.');
    await sync.refresh();
    expect(sync.error?.message).toBe('The sync service is not running.');
    expect(sync.toReview).toBe(0);
  });
});
