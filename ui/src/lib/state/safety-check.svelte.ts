import { toApiError } from '../api/errors';
import type { CheckAnswer, CheckItem, ShownAlert, Suppressed, Unchecked } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import { checkItem, type AlertOverrides } from '../services/cds';

/** The interruptive alerts waiting for the clinician's answer, and the others shown with them. */
export interface AlertQuestion {
  interruptive: ShownAlert[];
  informational: ShownAlert[];
  unchecked: Unchecked[];
  /** The chart changed while the first alerts were being read: these are the new ones. */
  again: boolean;
}

/** What is shown, without stopping anyone, once a save went through. */
export interface AlertNotice {
  what: string;
  informational: ShownAlert[];
  unchecked: Unchecked[];
  /** Interruptive alerts answered before for the same pair and doses, not asked again. */
  suppressed: Suppressed[];
}

/** How many times a save refused for a new alert is checked and asked again. */
const MAX_ASKS = 3;

/**
 * The safety check before a medication or an allergy is saved. `save` checks the item
 * (`cds.check`); with no interruptive alert it saves at once and shows the informational
 * ones and what could not be checked; with one it asks (the `question` the alert dialog
 * shows) and waits: `answer(reason)` saves with `alert_overrides`, `cancel()` goes back to
 * the form unchanged. If the engine still refuses with `alert_needs_override` (the chart
 * changed meanwhile), it checks again and asks again.
 */
export class SafetyCheckState {
  question = $state<AlertQuestion | null>(null);
  notice = $state<AlertNotice | null>(null);

  readonly #ctx: ServiceContext;
  readonly #patient: string;
  #waiting: ((reason: string | null) => void) | null = null;

  constructor(ctx: ServiceContext, patient: string) {
    this.#ctx = ctx;
    this.#patient = patient;
  }

  /**
   * Checks `item`, asks when needed, and saves with `save` (given the overrides, or null).
   * True when saved; false when the clinician cancelled. Other errors are thrown, for the
   * form to show.
   */
  async save(
    item: CheckItem,
    what: string,
    save: (overrides: AlertOverrides | null) => Promise<unknown>,
  ): Promise<boolean> {
    this.notice = null;
    let again = false;
    for (let asked = 0; ; asked++) {
      const answer = await checkItem(this.#ctx, this.#patient, item);
      let overrides: AlertOverrides | null = null;
      if (answer.needs_override) {
        const reason = await this.#ask(answer, again);
        if (reason === null) return false;
        overrides = {
          reason,
          alerts: answer.alerts.filter((a) => a.severity === 'interruptive').map((a) => a.key),
        };
      }
      try {
        await save(overrides);
      } catch (e) {
        const err = toApiError(e);
        if (err.code === 'alert_needs_override' && asked + 1 < MAX_ASKS) {
          again = true;
          continue;
        }
        this.question = null;
        throw err;
      }
      this.question = null;
      this.#shown(answer, what);
      return true;
    }
  }

  /** "Save anyway" with the reason typed; false (and nothing happens) without a reason. */
  answer(reason: string): boolean {
    const text = reason.trim();
    if (!text || !this.#waiting) return false;
    const go = this.#waiting;
    this.#waiting = null;
    go(text);
    return true;
  }

  /** "Cancel": back to the form, nothing saved. */
  cancel(): void {
    const go = this.#waiting;
    this.#waiting = null;
    this.question = null;
    go?.(null);
  }

  dismissNotice(): void {
    this.notice = null;
  }

  #ask(answer: CheckAnswer, again: boolean): Promise<string | null> {
    this.question = {
      interruptive: answer.alerts.filter((a) => a.severity === 'interruptive'),
      informational: answer.alerts.filter((a) => a.severity !== 'interruptive'),
      unchecked: answer.unchecked,
      again,
    };
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  #shown(answer: CheckAnswer, what: string): void {
    const informational = answer.alerts.filter((a) => a.severity !== 'interruptive');
    const { unchecked, suppressed } = answer;
    if (informational.length + unchecked.length + suppressed.length === 0) return;
    this.notice = { what, informational, unchecked, suppressed };
  }
}
