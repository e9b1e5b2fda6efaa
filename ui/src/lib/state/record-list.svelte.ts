import { toApiError, type ApiError } from '../api/errors';
import type { ServiceContext } from '../services/context';

/**
 * One section's list of a patient's records of one kind (allergies, problems, ...): loads
 * it, and reloads when a record of that kind on that chart is saved anywhere in the app.
 * A section component makes one, calls `load()` on mount and `dispose()` on destroy.
 */
export class RecordListState<T> {
  items = $state<T[]>([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state<ApiError | null>(null);

  readonly #load: () => Promise<T[]>;
  readonly #off: () => void;
  #seq = 0;

  constructor(ctx: ServiceContext, kind: string, patient: string, load: () => Promise<T[]>) {
    this.#load = load;
    this.#off = ctx.events.on('record-saved', (e) => {
      if (e.kind === kind && e.patient === patient) void this.load();
    });
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    this.loading = true;
    try {
      const items = await this.#load();
      if (seq !== this.#seq) return;
      this.items = items;
      this.error = null;
      this.loaded = true;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = toApiError(e);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  dispose(): void {
    this.#off();
  }
}
