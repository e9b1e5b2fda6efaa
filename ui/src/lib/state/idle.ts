/** Timers the idle lock uses; tests pass fakes through vitest's fake timers. */
export interface IdleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: IdleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Calls `onIdle` once no activity was seen for `minutes`. Activity only stamps a time (keys
 * and pointer moves are frequent); one timer wakes when the limit could be reached and
 * sleeps again for the rest when there was activity meanwhile.
 */
export class IdleTimer {
  readonly #limitMs: number;
  readonly #onIdle: () => void;
  readonly #clock: IdleClock;
  #last = 0;
  #handle: unknown = null;

  constructor(minutes: number, onIdle: () => void, clock: IdleClock = realClock) {
    this.#limitMs = minutes * 60_000;
    this.#onIdle = onIdle;
    this.#clock = clock;
  }

  get running(): boolean {
    return this.#handle !== null;
  }

  start(): void {
    this.stop();
    if (!(this.#limitMs > 0)) return;
    this.#last = this.#clock.now();
    this.#schedule(this.#limitMs);
  }

  stop(): void {
    if (this.#handle !== null) this.#clock.clearTimeout(this.#handle);
    this.#handle = null;
  }

  /** The user did something. */
  touch(): void {
    this.#last = this.#clock.now();
  }

  #schedule(ms: number): void {
    this.#handle = this.#clock.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    const idle = this.#clock.now() - this.#last;
    if (idle >= this.#limitMs) {
      this.#handle = null;
      this.#onIdle();
    } else {
      this.#schedule(this.#limitMs - idle);
    }
  }
}
