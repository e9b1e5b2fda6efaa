import type { ObservationRecord, VitalsForm } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * Saves a vitals form as one commit (the engine adds BMI) and announces each observation,
 * so the vitals list, the summary and open trend plots update without a reload.
 */
export async function recordVitals(
  ctx: ServiceContext,
  form: VitalsForm,
): Promise<ObservationRecord[]> {
  const saved = await ctx.backend.call('vitals.record', form);
  announce(ctx, form.patient, saved);
  return saved;
}

export function announce(
  ctx: ServiceContext,
  patient: string,
  saved: readonly ObservationRecord[],
) {
  // One event is enough for every listener of the kind; the first id names the form.
  const first = saved[0];
  if (first) ctx.events.emit('record-saved', { kind: 'observation', patient, id: first.id });
}
