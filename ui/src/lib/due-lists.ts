import type { DueListAnswer, DueRow, RecallEntry } from './api/types.gen';

/** The Population screen's period and filters, over the answers the engine gave. */

/** The first and last day of the month `day` (YYYY-MM-DD) falls in. */
export function monthOf(day: string): { from: string; to: string } {
  const [y, m] = day.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const mm = String(m).padStart(2, '0');
  return { from: `${y}-${mm}-01`, to: `${y}-${mm}-${String(last).padStart(2, '0')}` };
}

/** The due list's rows for one rule (all rules when `rule` is empty). */
export function rowsFor(answer: DueListAnswer | null, rule: string): DueRow[] {
  const rows = answer?.list.rows ?? [];
  return rule ? rows.filter((r) => r.rule === rule) : rows;
}

/** The recall list, kept to the patients due for `rule` when one is chosen. */
export function recallFor(answer: DueListAnswer | null, rule: string): RecallEntry[] {
  const recall = answer?.recall ?? [];
  if (!rule) return recall;
  const who = new Set(rowsFor(answer, rule).map((r) => r.patient.id));
  return recall.filter((e) => who.has(e.patient.id));
}
