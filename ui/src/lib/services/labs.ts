import type { LabsForm, ObservationRecord } from '../api/types.gen';
import type { ServiceContext } from './context';
import { announce } from './vitals';

/** Saves lab results (a panel or single tests) as one commit; flags come from the range. */
export async function recordLabs(
  ctx: ServiceContext,
  form: LabsForm,
): Promise<ObservationRecord[]> {
  const saved = await ctx.backend.call('labs.record', form);
  announce(ctx, form.patient, saved);
  return saved;
}
