import { toApiError, type ApiError } from '../api/errors';
import type { Evaluation, Measure, MeasureInfo } from '../api/types.gen';
import { today } from '../dates';
import { measureCsv, measureCsvName, membersOf, yearOf, type ListKey } from '../quality-measures';
import type { ServiceContext } from '../services/context';
import { evaluateMeasure, measureList } from '../services/measures';

/**
 * The Population screen's "Quality measures" tab: a measurement period (this calendar year
 * to start), the measures the engine computes with whether their value sets are imported,
 * and the chosen measure evaluated for the practice, with the patients behind any count.
 * A measure is computed only when chosen: over a large practice that takes seconds.
 */
export class MeasuresState {
  from = $state('');
  to = $state('');

  measures = $state<MeasureInfo[] | null>(null);
  listError = $state<ApiError | null>(null);

  chosen = $state<Measure | null>(null);
  evaluation = $state<Evaluation | null>(null);
  error = $state<ApiError | null>(null);
  /**
   * The engine's word that the chosen measure lacks value sets, when the list said
   * otherwise (someone changed them meanwhile): shown as the missing value sets are, not
   * as a failure.
   */
  missing = $state<string | null>(null);
  loading = $state(false);
  /** Whose patients the list below the report shows: the gaps to close to start. */
  shown = $state<{ group: number; list: ListKey }>({ group: 1, list: 'gaps' });

  readonly info = $derived(this.measures?.find((m) => m.measure === this.chosen) ?? null);
  /** No measure can be computed: the practice has imported no value sets at all. */
  readonly noValueSets = $derived(
    (this.measures?.length ?? 0) > 0 && this.measures!.every((m) => !m.value_sets_imported),
  );
  readonly shownGroup = $derived(
    this.evaluation?.groups.find((g) => g.group === this.shown.group) ?? null,
  );
  readonly shownPatients = $derived(
    this.evaluation && this.shownGroup
      ? membersOf(this.evaluation, this.shownGroup, this.shown.list)
      : [],
  );

  readonly #ctx: ServiceContext;
  readonly #today: string;
  #seq = 0;

  constructor(ctx: ServiceContext, on: string = today()) {
    this.#ctx = ctx;
    this.#today = on;
    this.setYear(0);
  }

  async loadList(): Promise<void> {
    try {
      this.measures = await measureList(this.#ctx);
      this.listError = null;
    } catch (e) {
      this.listError = toApiError(e);
    }
  }

  /** The calendar year of today (`0`) or of last year (`-1`) as the period. */
  setYear(offset: number): void {
    const y = yearOf(this.#today, offset);
    this.from = y.from;
    this.to = y.to;
  }

  /** Whether the period in the fields is `offset` years from this one. */
  isYear(offset: number): boolean {
    const y = yearOf(this.#today, offset);
    return this.from === y.from && this.to === y.to;
  }

  /** Chooses a measure and computes it for the period (unless its value sets are missing). */
  async choose(measure: Measure): Promise<void> {
    if (measure !== this.chosen) {
      this.chosen = measure;
      this.evaluation = null;
      this.error = null;
      this.missing = null;
      this.shown = { group: 1, list: 'gaps' };
    }
    await this.evaluate();
  }

  /**
   * Computes the chosen measure for the period in the fields; not asked when the list says
   * its value sets are missing (the tab says what to do instead).
   */
  async evaluate(): Promise<void> {
    const measure = this.chosen;
    if (!measure) return;
    const seq = ++this.#seq;
    if (this.info && !this.info.value_sets_imported) {
      this.loading = false;
      return;
    }
    this.loading = true;
    try {
      const answer = await evaluateMeasure(this.#ctx, measure, this.from, this.to);
      if (seq !== this.#seq) return;
      this.evaluation = answer;
      this.error = null;
      this.missing = null;
      if (!answer.groups.some((g) => g.group === this.shown.group)) {
        this.shown = { group: 1, list: 'gaps' };
      }
    } catch (e) {
      if (seq !== this.#seq) return;
      const err = toApiError(e);
      this.evaluation = null;
      if (err.code === 'value_sets_missing') {
        this.missing = err.message;
        this.error = null;
      } else {
        this.error = err;
        this.missing = null;
      }
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  show(group: number, list: ListKey): void {
    this.shown = { group, list };
  }

  /** The evaluation shown, as CSV, and a file name (measure and period, never a name). */
  csv(): { name: string; text: string } | null {
    const e = this.evaluation;
    return e ? { name: measureCsvName(e), text: measureCsv(e) } : null;
  }
}
