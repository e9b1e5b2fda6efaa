import type { Conflict, Duplicate, ResolvedRecord } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * The "Needs review" calls: open conflicts (fields edited on two workstations that were
 * apart), values that must be unique but were given twice, and settling a conflict.
 */

/** Every open conflict the role may read, or one chart's. */
export function listConflicts(ctx: ServiceContext, patient?: string | null): Promise<Conflict[]> {
  return ctx.backend.call('conflict.list', patient ? { patient } : {});
}

export function listDuplicates(ctx: ServiceContext): Promise<Duplicate[]> {
  return ctx.backend.call('duplicate.list', {});
}

/** How a person settles a conflict: keep one competing value, or enter a merged one. */
export type Resolution = { choose: string } | { value: unknown };

/**
 * Records the person's choice as a commit every workstation then applies, and announces
 * it: the review list and the status line refresh, and so does the chart that holds the
 * record (its banner counts the open conflicts).
 */
export async function resolveConflict(
  ctx: ServiceContext,
  conflict: Pick<Conflict, 'row' | 'field' | 'entity' | 'patient'>,
  resolution: Resolution,
): Promise<ResolvedRecord> {
  const record = await ctx.backend.call('conflict.resolve', {
    row: conflict.row,
    field: conflict.field,
    ...resolution,
  });
  const patient = conflict.patient ?? null;
  ctx.events.emit('conflict-resolved', {
    row: conflict.row,
    field: conflict.field,
    entity: conflict.entity,
    patient,
  });
  if (conflict.entity === 'patient') ctx.events.emit('patient-saved', { patient: conflict.row });
  else if (patient)
    ctx.events.emit('record-saved', { kind: conflict.entity, patient, id: conflict.row });
  return record;
}
