import type { Conflict } from './api/types.gen';

/** One chart's open conflicts (or, with `patient` null, the practice's: users and settings). */
export interface ChartGroup {
  patient: string | null;
  conflicts: Conflict[];
}

/**
 * Conflicts grouped by chart, so a clinician settles one patient's at a time: charts in the
 * order of their oldest conflict (the engine lists oldest first), the practice-wide ones
 * (staff accounts, settings) last.
 */
export function groupByChart(conflicts: readonly Conflict[]): ChartGroup[] {
  const byPatient = new Map<string | null, Conflict[]>();
  for (const c of conflicts) {
    const key = c.patient ?? null;
    let list = byPatient.get(key);
    if (!list) {
      list = [];
      byPatient.set(key, list);
    }
    list.push(c);
  }
  const groups = [...byPatient].map(([patient, list]) => ({ patient, conflicts: list }));
  return [...groups.filter((g) => g.patient !== null), ...groups.filter((g) => g.patient === null)];
}
