import { toApiError, type ApiError } from '../api/errors';
import type { HeldMessage } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import { assignMessage, listUnmatched, refuseMessage } from '../services/lab-results';

/**
 * The "Unmatched results" queue: the held messages, which one a person is working on, and
 * the engine's last refusal. A message filed or refused leaves the list only once the
 * engine has said so; a refusal (say, the chart chosen was entered in error) keeps the
 * message and what was chosen, with the engine's message.
 */
export class UnmatchedResultsState {
  items = $state<HeldMessage[]>([]);
  loaded = $state(false);
  /** A failed load. */
  error = $state<ApiError | null>(null);
  /** A failed assign or refuse, and the message it was about. */
  actionError = $state<ApiError | null>(null);
  actionOn = $state<string | null>(null);
  busy = $state(false);
  /** What the last action did, for a status line people (and screen readers) are told. */
  done = $state('');

  readonly #ctx: ServiceContext;
  #seq = 0;

  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const items = await listUnmatched(this.#ctx);
      if (seq !== this.#seq) return;
      this.items = items;
      this.error = null;
      this.loaded = true;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = toApiError(e);
    }
  }

  /** Files `item` in `patient`'s chart (named `name` for the status line). */
  async assign(item: HeldMessage, patient: string, name: string): Promise<boolean> {
    return this.#act(item, async () => {
      const done = await assignMessage(this.#ctx, item, patient);
      const n = done.results.length;
      this.done = `Filed ${n} result${n === 1 ? '' : 's'} of message ${item.control_id} in ${name}'s chart.`;
    });
  }

  async refuse(item: HeldMessage, reason: string): Promise<boolean> {
    return this.#act(item, async () => {
      await refuseMessage(this.#ctx, item, reason);
      this.done = `Refused message ${item.control_id}; it is filed in no chart.`;
    });
  }

  async #act(item: HeldMessage, action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.actionError = null;
    this.actionOn = item.id;
    try {
      await action();
      this.actionOn = null;
      await this.load();
      return true;
    } catch (e) {
      this.actionError = toApiError(e);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
