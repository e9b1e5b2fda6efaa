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
 * writes. The due list comes a page at a time (`DUE_PAGE`); filtering by rule is done on
 * that page when it holds the whole list, else by asking for the rule's own list.
 */
/**
 * Rows the screen asks for at once. A large practice has hundreds of thousands of rows due
 * in a month; a page of them, the counts for everyone and a CSV of all is what a person can
 * use, and what crosses to the window quickly.
 */
export const DUE_PAGE = 5000;

export class PopulationState {
  tab = $state<PopulationTab>('due');
  from = $state('');
  to = $state('');
  #rule = $state('');
  registry = $state('');
  /** The chosen rule's own list, read when the page of all rules does not hold all of it. */
  ruleDue = $state<DueListAnswer | null>(null);

  due = $state<DueListAnswer | null>(null);
  dueError = $state<ApiError | null>(null);
  dueLoading = $state(false);
  registries = $state<RegistryAnswer | null>(null);
  registriesError = $state<ApiError | null>(null);
  registriesLoading = $state(false);

  readonly #shown = $derived(this.#rule && this.ruleDue ? this.ruleDue : this.due);
  readonly rows = $derived(rowsFor(this.#shown, this.#rule));
  readonly recall = $derived(recallFor(this.#shown, this.#rule));
  /** Rows in the whole list being shown (the rows are a page of them when fewer). */
  readonly rowsTotal = $derived(
    this.#rule && !this.ruleDue ? this.rows.length : (this.#shown?.rows_total ?? 0),
  );
  readonly recallTotal = $derived(
    this.#rule && !this.ruleDue ? this.recall.length : (this.#shown?.recall_total ?? 0),
  );

  get rule(): string {
    return this.#rule;
  }

  /** Chooses a rule; its own list is read when the page of all rules was cut short. */
  set rule(rule: string) {
    this.#rule = rule;
    this.ruleDue = null;
    const d = this.due;
    if (rule && d && d.rows_total > d.list.rows.length) void this.#loadRule(rule);
  }

  #ruleSeq = 0;

  async #loadRule(rule: string): Promise<void> {
    const seq = ++this.#ruleSeq;
    try {
      const answer = await dueList(this.#ctx, this.from, this.to, [rule], { limit: DUE_PAGE });
      if (seq === this.#ruleSeq && this.#rule === rule) this.ruleDue = answer;
    } catch (e) {
      if (seq === this.#ruleSeq) this.dueError = toApiError(e);
    }
  }
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
      const answer = await dueList(this.#ctx, this.from, this.to, [], { limit: DUE_PAGE });
      if (seq !== this.#dueSeq) return;
      this.due = answer;
      this.dueError = null;
      // A rule the new answer no longer counts is no filter at all.
      const keep = this.#rule && answer.list.counts.some((c) => c.rule === this.#rule);
      this.rule = keep ? this.#rule : '';
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
    if (!this.due) return null;
    const d = await dueList(this.#ctx, this.from, this.to, this.rule ? [this.rule] : [], {
      limit: 0,
      csv: true,
    });
    const period = `${d.list.from}-to-${d.list.to}`;
    const what = this.rule || 'all';
    return this.tab === 'recall'
      ? { name: `recall-${what}-${period}.csv`, text: d.recall_csv ?? '' }
      : { name: `due-${what}-${period}.csv`, text: d.csv ?? '' };
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
