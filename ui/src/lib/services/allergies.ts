import type { AllergyAdd, AllergyRecord, AllergyUpdate, HistoryEntry } from '../api/types.gen';
import type { ServiceContext } from './context';

/** An allergy's own fields, as the add and edit forms fill them. */
export type AllergyFields = Omit<AllergyAdd, 'patient'>;
export type AllergyCategory = NonNullable<AllergyAdd['category']>;
export type AllergyCriticality = NonNullable<AllergyAdd['criticality']>;
export type AllergySeverity = NonNullable<AllergyAdd['severity']>;
export type AllergyStatus = NonNullable<AllergyAdd['status']>;

/**
 * The allergy section's calls. Every save announces `record-saved` so the banner and the
 * summary refresh; the other record kinds follow the same shape.
 */
const kind = 'allergy';

/**
 * The fields of `next` that differ from the record as read (null and absent are the same),
 * so that an edit sends only what the user changed.
 */
export function changedFields(read: AllergyRecord, next: AllergyFields): AllergyFields {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(next)) {
    const before = (read as unknown as Record<string, unknown>)[field] ?? null;
    if (JSON.stringify(before) !== JSON.stringify(value ?? null)) out[field] = value;
  }
  return out as AllergyFields;
}

function saved(ctx: ServiceContext, record: AllergyRecord, patient: string): AllergyRecord {
  ctx.events.emit('record-saved', { kind, patient, id: record.id });
  return record;
}

/** All of a patient's allergy entries, those entered in error included (shown struck through). */
export function listAllergies(ctx: ServiceContext, patient: string): Promise<AllergyRecord[]> {
  return ctx.backend.call('allergy.list', { patient, include_retracted: true });
}

/** One allergy with its `version`, read before editing it. */
export function getAllergy(ctx: ServiceContext, id: string): Promise<AllergyRecord> {
  return ctx.backend.call('allergy.get', { id });
}

export async function addAllergy(ctx: ServiceContext, args: AllergyAdd): Promise<AllergyRecord> {
  return saved(ctx, await ctx.backend.call('allergy.add', args), args.patient);
}

export async function updateAllergy(
  ctx: ServiceContext,
  patient: string,
  args: AllergyUpdate,
): Promise<AllergyRecord> {
  return saved(ctx, await ctx.backend.call('allergy.update', args), patient);
}

export async function retractAllergy(
  ctx: ServiceContext,
  patient: string,
  id: string,
  reason: string,
  version?: string[],
): Promise<AllergyRecord> {
  const args = version ? { id, reason, version } : { id, reason };
  return saved(ctx, await ctx.backend.call('allergy.retract', args), patient);
}

/** Records "no known allergies". */
export async function recordNoKnownAllergies(
  ctx: ServiceContext,
  patient: string,
): Promise<AllergyRecord> {
  return saved(ctx, await ctx.backend.call('allergy.none', { patient }), patient);
}

export function allergyHistory(ctx: ServiceContext, id: string): Promise<HistoryEntry[]> {
  return ctx.backend.call('allergy.history', { id });
}
