import { dateTimeLabel } from '../../../lib/dates';

/** One answered alert as the engine keeps it on the saved row (`alert_overrides`). */
interface Answered {
  why?: string;
  reason?: string;
  by_name?: string;
  at?: string;
  other_text?: string;
}

/**
 * "Alert overridden by Dr. Lee, 3 Dec 2026 13:38 (with Warfarin 5 mg tablet): short
 * course, INR checked", one line per answered alert, for the record's list row.
 */
export function overrideNotes(stored: unknown): string[] {
  if (!Array.isArray(stored)) return [];
  return (stored as Answered[]).map((a) => {
    const who = a.by_name ?? 'someone';
    const when = a.at ? `, ${dateTimeLabel(a.at)}` : '';
    const other = a.other_text ? ` (with ${a.other_text})` : '';
    return `Alert overridden by ${who}${when}${other}: ${a.reason ?? 'no reason kept'}`;
  });
}
