import type { Evaluation, MeasureInfo } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * Electronic clinical quality measures (CMS122, CMS165, CMS125, CMS130, CMS138): which the
 * engine computes and whether the practice has imported the value sets each needs, and one
 * measure evaluated for a period, for the practice or one patient. The engine decides every
 * population; these calls only carry its answers to the screens.
 */

export function measureList(ctx: ServiceContext): Promise<MeasureInfo[]> {
  return ctx.backend.call('measure.list', {});
}

/**
 * One measure for `from`..`to` (both included): every population with its patients and why.
 * With `patient`, that chart alone (the Due panel). Fails with `value_sets_missing` when the
 * practice has not imported the measure's value sets.
 */
export function evaluateMeasure(
  ctx: ServiceContext,
  measure: string,
  from: string,
  to: string,
  patient?: string,
): Promise<Evaluation> {
  return ctx.backend.call(
    'measure.evaluate',
    patient ? { measure, from, to, patient } : { measure, from, to },
  );
}
