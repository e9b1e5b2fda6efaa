import { toApiError, type ApiError } from '../api/errors';
import type { DuePanel, RuleStatus, VaccineDue, VaccineLine } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import { declineRule, duePanel } from '../services/cds';

/** A rule status's tag ("overdue", "satisfied", ...). */
export type StatusTag = RuleStatus['status']['status'];

/** The Due panel's groups, in the order the clinician reads them. */
export interface RuleGroups {
  /** Overdue (longest first), then due, then due soon (soonest first). */
  open: RuleStatus[];
  declined: RuleStatus[];
  satisfied: RuleStatus[];
  /** Shown collapsed: each says why it does not apply. */
  notApplicable: RuleStatus[];
}

const openRank: Partial<Record<StatusTag, number>> = { overdue: 0, due: 1, due_soon: 2 };

export function groupRules(rules: readonly RuleStatus[]): RuleGroups {
  const by = (tag: StatusTag) => rules.filter((r) => r.status.status === tag);
  const open = rules
    .filter((r) => openRank[r.status.status] !== undefined)
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      const rank = openRank[a.r.status.status]! - openRank[b.r.status.status]!;
      if (rank !== 0) return rank;
      const [da, db] = [a.r.due ?? '', b.r.due ?? ''];
      return da === db ? a.i - b.i : da < db ? -1 : 1;
    })
    .map((x) => x.r);
  return {
    open,
    declined: by('declined'),
    satisfied: by('satisfied'),
    notApplicable: by('not_applicable'),
  };
}

/** The forecast's order: what needs a dose first; "not recommended" goes apart, collapsed. */
export const vaccineOrder: readonly VaccineDue[] = [
  'overdue',
  'due_now',
  'due_soon',
  'later',
  'complete',
];

export function groupVaccines(lines: readonly VaccineLine[]): {
  shown: VaccineLine[];
  notRecommended: VaccineLine[];
} {
  const shown = lines
    .filter((l) => l.due !== 'not_recommended')
    .map((l, i) => ({ l, i }))
    .sort((a, b) => vaccineOrder.indexOf(a.l.due) - vaccineOrder.indexOf(b.l.due) || a.i - b.i)
    .map((x) => x.l);
  return { shown, notRecommended: lines.filter((l) => l.due === 'not_recommended') };
}

/**
 * A chart's Due panel (`cds.due`): the preventive rules grouped, the immunization forecast
 * and the registries the patient is on. Reloads when anything in the chart is saved (a
 * procedure, a result or a decline can change a status).
 */
export class DuePanelState {
  panel = $state<DuePanel | null>(null);
  loaded = $state(false);
  error = $state<ApiError | null>(null);
  /** A failed decline, and the rule it was for. */
  declineError = $state<ApiError | null>(null);
  declineOn = $state<string | null>(null);
  busy = $state(false);

  readonly groups = $derived(groupRules(this.panel?.preventive ?? []));
  readonly vaccines = $derived(groupVaccines(this.panel?.immunizations?.lines ?? []));

  readonly #ctx: ServiceContext;
  readonly #patient: string;
  readonly #off: () => void;
  readonly #afterLoad: (() => void) | undefined;
  #seq = 0;

  /**
   * `afterLoad` runs once each load has its answer (or its error): what the panel shows
   * beside the engine's answer (the quality measures) loads then, off the panel's own path.
   */
  constructor(ctx: ServiceContext, patient: string, afterLoad?: () => void) {
    this.#ctx = ctx;
    this.#patient = patient;
    this.#afterLoad = afterLoad;
    this.#off = ctx.events.on('record-saved', (e) => {
      if (e.patient === patient) void this.load();
    });
  }

  async load(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const panel = await duePanel(this.#ctx, this.#patient);
      if (seq !== this.#seq) return;
      this.panel = panel;
      this.error = null;
      this.loaded = true;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = toApiError(e);
    }
    this.#afterLoad?.();
  }

  /** Records that the patient declined `rule`; true once the engine has it. */
  async decline(rule: string, reason: string, date: string): Promise<boolean> {
    this.busy = true;
    this.declineError = null;
    this.declineOn = rule;
    try {
      await declineRule(this.#ctx, this.#patient, rule, reason.trim(), date);
      return true;
    } catch (e) {
      this.declineError = toApiError(e);
      return false;
    } finally {
      this.busy = false;
    }
  }

  dispose(): void {
    this.#off();
  }
}
