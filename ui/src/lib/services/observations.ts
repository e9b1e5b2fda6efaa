import type { Point } from '../api/types.gen';
import type { ServiceContext } from './context';
import { recordService } from './records';

/** Vitals and lab results are observations: listed, edited and retracted like any record. */
export const observationService = recordService('observation');

/** One LOINC code over time, oldest first, for a trend plot. */
export async function observationSeries(
  ctx: ServiceContext,
  patient: string,
  code: string,
): Promise<Point[]> {
  const points = await ctx.backend.call('observation.series', { patient, code });
  return [...points].sort((a, b) =>
    a.effective < b.effective ? -1 : a.effective > b.effective ? 1 : 0,
  );
}
