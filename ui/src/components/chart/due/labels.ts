import type { RuleStatus, VaccineDue } from '../../../lib/api/types.gen';

/** A rule's status in words: "Overdue since 2026-11-01", "Done 2024-03-02 (Colonoscopy)". */
export function statusLabel(r: RuleStatus): string {
  const s = r.status;
  switch (s.status) {
    case 'overdue':
      return r.due ? `Overdue since ${r.due}` : 'Overdue';
    case 'due':
      return r.due ? `Due ${r.due}` : 'Due';
    case 'due_soon':
      return r.due ? `Due soon, ${r.due}` : 'Due soon';
    case 'satisfied':
      return `Done ${s.date} (${s.by})${s.next_due ? `; next due ${s.next_due}` : ''}`;
    case 'declined':
      return `Declined ${s.date}: ${s.reason}`;
    case 'not_applicable':
      return s.why;
  }
}

export const vaccineDueLabels: Record<VaccineDue, string> = {
  overdue: 'Overdue',
  due_now: 'Due now',
  due_soon: 'Due soon',
  later: 'Later',
  complete: 'Complete',
  not_recommended: 'Not recommended',
};
