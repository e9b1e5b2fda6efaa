import { toApiError, type ApiError } from '../api/errors';
import type { Invite } from '../api/sync-types';
import type { ServiceContext } from '../services/context';
import { makeInvite } from '../services/sync';
import type { Every } from './sync-status.svelte';

/** The time source the countdown reads (tests move it by hand). */
export interface InviteClock {
  now: () => number;
  every: Every;
}

const realClock: InviteClock = {
  now: () => Date.now(),
  every: (ms, fn) => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
};

/** "9:05": minutes and seconds left. */
export function countdownLabel(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * "Add workstation": one pairing code at a time, with the seconds left before it expires
 * (the engine refuses it after that; the screen says so rather than let someone type a
 * dead code on the new workstation).
 */
export class InviteState {
  invite = $state<Invite | null>(null);
  now = $state(0);
  busy = $state(false);
  error = $state<ApiError | null>(null);

  remaining: number = $derived(
    this.invite
      ? Math.max(0, Math.ceil((Date.parse(this.invite.expires_at) - this.now) / 1000))
      : 0,
  );
  expired: boolean = $derived(this.invite !== null && this.remaining === 0);

  readonly #ctx: ServiceContext;
  readonly #clock: InviteClock;
  #stopTicking: (() => void) | null = null;

  constructor(ctx: ServiceContext, clock: InviteClock = realClock) {
    this.#ctx = ctx;
    this.#clock = clock;
  }

  /** Asks the engine for a fresh code (any earlier one stays valid until it expires). */
  async make(): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      const invite = await makeInvite(this.#ctx);
      this.#stop();
      this.invite = invite;
      this.now = this.#clock.now();
      this.#stopTicking = this.#clock.every(1000, () => this.#tick());
    } catch (e) {
      this.error = toApiError(e);
    } finally {
      this.busy = false;
    }
  }

  /** Hides the code (it was used, or the administrator closed the panel). */
  close(): void {
    this.#stop();
    this.invite = null;
    this.error = null;
  }

  dispose(): void {
    this.#stop();
  }

  #tick(): void {
    this.now = this.#clock.now();
    if (this.expired) this.#stop();
  }

  #stop(): void {
    this.#stopTicking?.();
    this.#stopTicking = null;
  }
}
