import { toApiError, type ApiError } from '../api/errors';
import type { MeasureInfo } from '../api/types.gen';
import { today } from '../dates';
import { openOn, yearOf, type OpenMeasure } from '../quality-measures';
import type { ServiceContext } from '../services/context';
import { evaluateMeasure, measureList } from '../services/measures';

/**
 * The Due panel's "Quality measures": the measures this patient is still open on for this
 * calendar year's period, each with what would close it. It is an aside to the panel, so
 * the panel loads it after its own answer, and a measure without its value sets is left
 * out quietly (`notComputed`), never an error.
 */
export class PatientMeasuresState {
  open = $state<OpenMeasure[]>([]);
  /** Measures left out because the practice has not imported their value sets. */
  notComputed = $state<MeasureInfo[]>([]);
  /** How many measures were computed for the patient. */
  computed = $state(0);
  loaded = $state(false);
  error = $state<ApiError | null>(null);
  readonly period: { from: string; to: string };

  readonly #ctx: ServiceContext;
  readonly #patient: string;
  #seq = 0;

  constructor(ctx: ServiceContext, patient: string, on: string = today()) {
    this.#ctx = ctx;
    this.#patient = patient;
    this.period = yearOf(on);
  }

  /** True when no measure could be computed: nothing to say but one line. */
  readonly noneComputed = $derived(
    this.loaded && this.computed === 0 && this.notComputed.length > 0,
  );

  async load(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const list = await measureList(this.#ctx);
      const open: OpenMeasure[] = [];
      const skipped = list.filter((m) => !m.value_sets_imported);
      let computed = 0;
      // One after another: each is one chart's read, a few milliseconds, and the engine
      // serves one request at a time anyway.
      for (const m of list.filter((x) => x.value_sets_imported)) {
        try {
          const e = await evaluateMeasure(
            this.#ctx,
            m.measure,
            this.period.from,
            this.period.to,
            this.#patient,
          );
          open.push(...openOn(e, this.#patient));
          computed++;
        } catch (e) {
          // The value sets went between the list and the evaluation: left out, as above.
          if (toApiError(e).code === 'value_sets_missing') skipped.push(m);
          else throw e;
        }
      }
      if (seq !== this.#seq) return;
      this.open = open;
      this.notComputed = skipped;
      this.computed = computed;
      this.error = null;
      this.loaded = true;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = toApiError(e);
    }
  }
}
