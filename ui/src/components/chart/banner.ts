import type { AllergyRecord, Summary } from '../../lib/api/types.gen';

/** What the banner says about allergies, from the chart summary. */
export type AllergyBanner =
  | { kind: 'listed'; allergies: AllergyRecord[] }
  | { kind: 'none-known' }
  | { kind: 'not-recorded' }
  | { kind: 'not-permitted' };

export function allergyBanner(summary: Summary | null): AllergyBanner {
  if (!summary) return { kind: 'not-permitted' };
  const real = summary.allergies.filter((a) => !a.no_known && !a.retracted);
  if (real.length > 0) return { kind: 'listed', allergies: real };
  if (summary.no_known_allergies) return { kind: 'none-known' };
  return { kind: 'not-recorded' };
}

/** Active problems (in remission ones are listed on the summary but not counted here). */
export function activeProblemCount(summary: Summary | null): number {
  return (
    summary?.problems.filter((p) => !p.retracted && (p.status ?? 'active') === 'active').length ?? 0
  );
}
