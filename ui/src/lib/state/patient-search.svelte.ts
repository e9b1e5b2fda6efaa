import { toApiError, type ApiError } from '../api/errors';
import type { Hit } from '../api/types.gen';

/**
 * Search-as-you-type over the patient list. Keystrokes are debounced lightly (a few
 * milliseconds: results should paint within ~50 ms of a key), and while one search is in
 * flight further keys wait for it and then send only the latest query, so fast typing never
 * queues a search per key. An answer to an older query is dropped, so the list always
 * matches the field. `active` is the row the arrow keys move and Enter opens.
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
  #inFlight = false;
  #pending = false;

  constructor(search: (query: string) => Promise<Hit[]>, delayMs = 20) {
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
      if (this.#inFlight) this.#pending = true;
      else void this.run();
    }, this.#delayMs);
  }

  /** Runs the current query now (also the "try again" after an error). */
  async run(): Promise<void> {
    const seq = ++this.#seq;
    const query = this.query.trim();
    if (!query) return;
    this.loading = true;
    this.#inFlight = true;
    this.#pending = false;
    try {
      const hits = await this.#search(query);
      // The field changed meanwhile: this answer is stale, the newer query follows.
      if (seq !== this.#seq || query !== this.query.trim()) return;
      this.results = hits;
      this.active = hits.length > 0 ? 0 : -1;
      this.error = null;
      this.answered = query;
    } catch (e) {
      if (seq !== this.#seq || query !== this.query.trim()) return;
      this.error = toApiError(e);
    } finally {
      this.#inFlight = false;
      if (this.#pending) void this.run();
      else if (seq === this.#seq) this.loading = false;
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
