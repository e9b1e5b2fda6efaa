import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { onSync } from '../api/sync-fixtures';
import { EventBus, type AppEvents } from '../events';
import { InviteState, countdownLabel } from './invite.svelte';

function clock(start: number) {
  let now = start;
  let tick: (() => void) | null = null;
  return {
    clock: {
      now: () => now,
      every: (_ms: number, fn: () => void) => {
        tick = fn;
        return () => (tick = null);
      },
    },
    advance(seconds: number) {
      now += seconds * 1000;
      tick?.();
    },
    ticking: () => tick !== null,
  };
}

describe('InviteState', () => {
  const t0 = Date.parse('2026-03-01T10:00:00Z');

  it('counts down to the code’s expiry, then says it expired and stops ticking', async () => {
    const backend = new FakeBackend();
    onSync(backend, 'sync.invite', () => ({
      code: '4829-1736',
      expires_at: '2026-03-01T10:10:00Z',
      addresses: ['192.168.1.20:8421'],
    }));
    const c = clock(t0);
    const invite = new InviteState({ backend, events: new EventBus<AppEvents>() }, c.clock);
    await invite.make();
    expect(invite.invite?.code).toBe('4829-1736');
    expect(countdownLabel(invite.remaining)).toBe('10:00');
    c.advance(18);
    expect(countdownLabel(invite.remaining)).toBe('9:42');
    expect(invite.expired).toBe(false);
    c.advance(9 * 60 + 42);
    expect(invite.remaining).toBe(0);
    expect(invite.expired).toBe(true);
    expect(c.ticking()).toBe(false);
  });

  it('keeps the engine’s refusal (not an administrator) to show', async () => {
    const backend = new FakeBackend().fail(
      'sync.invite' as never,
      'forbidden',
      'A clinician may not run sync.invite.',
    );
    const invite = new InviteState({ backend, events: new EventBus<AppEvents>() }, clock(t0).clock);
    await invite.make();
    expect(invite.invite).toBeNull();
    expect(invite.error?.code).toBe('forbidden');
  });
});
