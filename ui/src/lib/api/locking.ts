import type { Answer, Args, Backend, MenuAction, PathPurpose } from './backend';
import { ApiError } from './errors';
import type { CommandName } from './types.gen';

/**
 * Wraps a Backend so that any command answering `session_locked` tells the app at once:
 * the lock screen must replace patient data whichever screen asked. Answers saying the
 * session or practice is gone (`not_logged_in`, `practice_locked`) ask the app to look at
 * the host's status again, which shows the login or unlock screen.
 */
export class LockWatchingBackend implements Backend {
  readonly #inner: Backend;
  readonly #onLocked: () => void;
  readonly #onStale: () => void;

  constructor(inner: Backend, onLocked: () => void, onStale: () => void = () => {}) {
    this.#inner = inner;
    this.#onLocked = onLocked;
    this.#onStale = onStale;
  }

  onMenu(handler: (action: MenuAction) => void): () => void {
    return this.#inner.onMenu(handler);
  }

  get canPickPaths(): boolean {
    return this.#inner.canPickPaths;
  }

  pickPath(purpose: PathPurpose): Promise<string | null> {
    return this.#inner.pickPath(purpose);
  }

  async call<C extends CommandName>(command: C, args: Args<C>): Promise<Answer<C>> {
    try {
      return await this.#inner.call(command, args);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'session_locked' && command !== 'app.resume') {
        this.#onLocked();
      } else if (
        e instanceof ApiError &&
        (e.code === 'not_logged_in' || e.code === 'practice_locked') &&
        command !== 'app.status'
      ) {
        this.#onStale();
      }
      throw e;
    }
  }
}
