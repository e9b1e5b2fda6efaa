import { toApiError, type ApiError } from '../api/errors';
import type { Hit } from '../api/types.gen';

/**
 * Search-as-you-type over the patient list. Keystrokes are debounced lightly; an answer
 * that arrives after a newer query was sent is dropped, so the list always matches the
 * field. `active` is the row the arrow keys move and Enter opens.
 */
export class PatientSearch {
  query = $state('');
  results = $state<Hit[]>([]);
  active = $state(-1);
  loading = $state(false);
  error = $state<ApiError | null>(null);
  /** The query the shown results answer (empty before the first search). */
  answered = $state('');

  readonly #search: (query: string) => Promise<Hit[]>;
  readonly #delayMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;

  constructor(search: (query: string) => Promise<Hit[]>, delayMs = 120) {
    this.#search = search;
    this.#delayMs = delayMs;
  }

  get activeHit(): Hit | null {
    return this.results[this.active] ?? null;
  }

  setQuery(query: string): void {
    this.query = query;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (query.trim() === '') {
      this.#seq++;
      this.results = [];
      this.active = -1;
      this.loading = false;
      this.error = null;
      this.answered = '';
      return;
    }
    this.loading = true;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.run();
    }, this.#delayMs);
  }

  /** Runs the current query now (also the "try again" after an error). */
  async run(): Promise<void> {
    const seq = ++this.#seq;
    const query = this.query.trim();
    if (!query) return;
    this.loading = true;
    try {
      const hits = await this.#search(query);
      if (seq !== this.#seq) return;
      this.results = hits;
      this.active = hits.length > 0 ? 0 : -1;
      this.error = null;
      this.answered = query;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = toApiError(e);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  /** Moves the active row by `delta`, staying inside the list. */
  move(delta: number): void {
    if (this.results.length === 0) return;
    const next = this.active + delta;
    this.active = Math.max(0, Math.min(this.results.length - 1, next));
  }

  /** Forgets the query and results (switch user, lock). */
  clear(): void {
    this.setQuery('');
  }
}
