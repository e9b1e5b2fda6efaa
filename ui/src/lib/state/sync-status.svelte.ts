import { toApiError, type ApiError } from '../api/errors';
import type { SyncStatus } from '../api/sync-types';
import type { ServiceContext } from '../services/context';
import { syncStatus } from '../services/sync';

/** Runs `fn` every `ms` milliseconds until the returned function is called (tests pass their own). */
export type Every = (ms: number, fn: () => void) => () => void;

const realEvery: Every = (ms, fn) => {
  const id = setInterval(fn, ms);
  return () => clearInterval(id);
};

/** How often the status bar asks, besides after every write the app makes. */
export const SYNC_POLL_MS = 10_000;

/**
 * What `sync.status` last said, kept fresh while someone is logged in: every 10 s, and
 * right after every write this app makes (a saved record or patient, a settled conflict),
 * since a write is what sync sends next. The status bar and the "Needs review" badge read
 * it; its counts are practice-wide numbers, so polling it never reads a chart (polling
 * `conflict.list` would name every chart with a conflict in the access log each time).
 */
export class SyncStatusState {
  status = $state<SyncStatus | null>(null);
  error = $state<ApiError | null>(null);

  /** Conflicts and duplicates waiting for a person. */
  toReview: number = $derived(
    this.status ? this.status.open_conflicts + this.status.duplicates : 0,
  );

  readonly #ctx: ServiceContext;
  readonly #every: Every;
  #stop: (() => void)[] = [];
  #inFlight: Promise<void> | null = null;
  #again = false;
  #running = false;

  constructor(ctx: ServiceContext, every: Every = realEvery) {
    this.#ctx = ctx;
    this.#every = every;
  }

  /** Starts polling (the main screen mounts); idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const refresh = () => void this.refresh();
    const bus = this.#ctx.events;
    this.#stop = [
      this.#every(SYNC_POLL_MS, refresh),
      bus.on('record-saved', refresh),
      bus.on('patient-saved', refresh),
      bus.on('conflict-resolved', refresh),
    ];
    refresh();
  }

  /** Stops polling (lock, switch user): a locked screen asks nothing. */
  stop(): void {
    this.#running = false;
    for (const off of this.#stop) off();
    this.#stop = [];
  }

  /** Forgets what was shown (switch user). */
  clear(): void {
    this.status = null;
    this.error = null;
  }

  /**
   * Asks now. A call already on its way is not doubled: one more follows it, so a write
   * made while it was in flight is still counted.
   */
  refresh(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#inFlight = (async () => {
      do {
        this.#again = false;
        try {
          this.status = await syncStatus(this.#ctx);
          this.error = null;
        } catch (e) {
          this.error = toApiError(e);
        }
      } while (this.#again && this.#running);
      this.#inFlight = null;
    })();
    return this.#inFlight;
  }
}
