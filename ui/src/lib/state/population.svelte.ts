import { ApiError, toApiError } from '../api/errors';
import type { DueListAnswer, RegistryAnswer, SaveList } from '../api/types.gen';
import { today } from '../dates';
import { monthOf, recallFor, rowsFor } from '../due-lists';
import type { ServiceContext } from '../services/context';
import { dueList, registryList, saveList } from '../services/cds';

/** The engine's lists (due, recall, registries) and the quality measures (`MeasuresState`). */
export type PopulationTab = 'due' | 'recall' | 'registries' | 'measures';

/**
 * The Population screen: who is due for what in a period (this month to start), the recall
 * list with phones, and the monitoring registries, each with counts and a CSV the engine
 * writes. Filtering by rule or registry is done here, on the answer already read.
 */
export class PopulationState {
  tab = $state<PopulationTab>('due');
  from = $state('');
  to = $state('');
  rule = $state('');
  registry = $state('');

  due = $state<DueListAnswer | null>(null);
  dueError = $state<ApiError | null>(null);
  dueLoading = $state(false);
  registries = $state<RegistryAnswer | null>(null);
  registriesError = $state<ApiError | null>(null);
  registriesLoading = $state(false);

  readonly rows = $derived(rowsFor(this.due, this.rule));
  readonly recall = $derived(recallFor(this.due, this.rule));
  readonly lists = $derived(
    (this.registries?.lists ?? []).filter((l) => !this.registry || l.registry === this.registry),
  );

  readonly #ctx: ServiceContext;
  #dueSeq = 0;
  #regSeq = 0;

  constructor(ctx: ServiceContext, on: string = today()) {
    this.#ctx = ctx;
    const month = monthOf(on);
    this.from = month.from;
    this.to = month.to;
  }

  async loadDue(): Promise<void> {
    const seq = ++this.#dueSeq;
    this.dueLoading = true;
    try {
      const answer = await dueList(this.#ctx, this.from, this.to);
      if (seq !== this.#dueSeq) return;
      this.due = answer;
      this.dueError = null;
      // A rule the new answer no longer counts is no filter at all.
      if (this.rule && !answer.list.counts.some((c) => c.rule === this.rule)) this.rule = '';
    } catch (e) {
      if (seq === this.#dueSeq) this.dueError = toApiError(e);
    } finally {
      if (seq === this.#dueSeq) this.dueLoading = false;
    }
  }

  async loadRegistries(): Promise<void> {
    const seq = ++this.#regSeq;
    this.registriesLoading = true;
    try {
      const answer = await registryList(this.#ctx);
      if (seq !== this.#regSeq) return;
      this.registries = answer;
      this.registriesError = null;
    } catch (e) {
      if (seq === this.#regSeq) this.registriesError = toApiError(e);
    } finally {
      if (seq === this.#regSeq) this.registriesLoading = false;
    }
  }

  /**
   * The open tab's CSV as the engine writes it, and a file name (dates, never a name). With
   * a rule chosen, the engine is asked for that rule's list, so the file matches the screen.
   */
  async csv(): Promise<{ name: string; text: string } | null> {
    if (this.tab === 'measures') return null;
    if (this.tab === 'registries') {
      const r = this.registry
        ? await registryList(this.#ctx, undefined, [this.registry])
        : this.registries;
      return r ? { name: `registries-${this.registry || 'all'}-${r.on}.csv`, text: r.csv } : null;
    }
    const d = this.rule ? await dueList(this.#ctx, this.from, this.to, [this.rule]) : this.due;
    if (!d) return null;
    const period = `${d.list.from}-to-${d.list.to}`;
    const what = this.rule || 'all';
    return this.tab === 'recall'
      ? { name: `recall-${what}-${period}.csv`, text: d.recall_csv }
      : { name: `due-${what}-${period}.csv`, text: d.csv };
  }

  /**
   * Saves the open tab's CSV to `file` through the desktop host; says where. The host saves
   * the engine's lists only, so the quality measures tab has no such save.
   */
  async saveTo(file: string): Promise<string> {
    const tab = this.tab;
    if (tab === 'measures') throw new ApiError('invalid_input', 'The host saves no measure list.');
    const args: SaveList =
      tab === 'registries'
        ? { list: 'registries', file, registries: this.registry ? [this.registry] : [] }
        : {
            list: tab,
            file,
            from: this.from,
            to: this.to,
            rules: this.rule ? [this.rule] : [],
          };
    return (await saveList(this.#ctx, args)).file;
  }
}
