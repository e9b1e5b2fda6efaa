import type { Answer, Args, Backend } from './backend';
import { ApiError } from './errors';
import type { CommandName } from './types.gen';

/**
 * Wraps a Backend so that any command answering `session_locked` tells the app at once:
 * the lock screen must replace patient data whichever screen asked.
 */
export class LockWatchingBackend implements Backend {
  readonly #inner: Backend;
  readonly #onLocked: () => void;

  constructor(inner: Backend, onLocked: () => void) {
    this.#inner = inner;
    this.#onLocked = onLocked;
  }

  async call<C extends CommandName>(command: C, args: Args<C>): Promise<Answer<C>> {
    try {
      return await this.#inner.call(command, args);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'session_locked' && command !== 'app.resume') {
        this.#onLocked();
      }
      throw e;
    }
  }
}
