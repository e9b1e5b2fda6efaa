import type { Answer, Args } from '../api/backend';
import type { CommandName, HistoryEntry } from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * The record kinds that share the engine's generic record commands (`<kind>.list`, `.get`,
 * `.add`, `.update`, `.retract`, `.history`). Allergies have their own service (they came
 * first and add `allergy.none`); the others all go through `recordService`.
 */
export type RecordKind =
  | 'problem'
  | 'medication'
  | 'immunization'
  | 'encounter'
  | 'order'
  | 'procedure'
  | 'hospitalization'
  | 'family_history'
  | 'social_history'
  | 'coverage'
  | 'observation'
  | 'decline';

type Op = 'list' | 'get' | 'add' | 'update' | 'retract' | 'history';
type Cmd<K extends RecordKind, O extends Op> = `${K}.${O}` & CommandName;

/** A record of kind K as the engine answers it. */
export type RecordOf<K extends RecordKind> = Answer<Cmd<K, 'get'>>;
/** The fields `K.add` takes besides the patient. */
export type AddFieldsOf<K extends RecordKind> = Omit<Args<Cmd<K, 'add'>>, 'patient'>;
/** The fields `K.update` may change (besides `id` and `version`). */
export type UpdateFieldsOf<K extends RecordKind> = Omit<Args<Cmd<K, 'update'>>, 'id' | 'version'>;

/** The calls a record section makes; each save announces `record-saved` on the bus. */
export interface RecordService<K extends RecordKind> {
  readonly kind: K;
  list(ctx: ServiceContext, patient: string): Promise<RecordOf<K>[]>;
  get(ctx: ServiceContext, id: string): Promise<RecordOf<K>>;
  add(ctx: ServiceContext, patient: string, fields: AddFieldsOf<K>): Promise<RecordOf<K>>;
  update(
    ctx: ServiceContext,
    patient: string,
    id: string,
    version: string[],
    fields: UpdateFieldsOf<K>,
  ): Promise<RecordOf<K>>;
  retract(
    ctx: ServiceContext,
    patient: string,
    id: string,
    reason: string,
    version?: string[],
  ): Promise<RecordOf<K>>;
  history(ctx: ServiceContext, id: string): Promise<HistoryEntry[]>;
}

/**
 * What the generic record section holds: any kind's service, seen with loose field types
 * (the section fills fields from a kind's description, not from its TypeScript type).
 */
export interface AnyRecordService {
  readonly kind: string;
  list(ctx: ServiceContext, patient: string): Promise<unknown[]>;
  get(ctx: ServiceContext, id: string): Promise<{ version?: string[] | null }>;
  add(ctx: ServiceContext, patient: string, fields: Record<string, unknown>): Promise<unknown>;
  update(
    ctx: ServiceContext,
    patient: string,
    id: string,
    version: string[],
    fields: Record<string, unknown>,
  ): Promise<unknown>;
  retract(
    ctx: ServiceContext,
    patient: string,
    id: string,
    reason: string,
    version?: string[],
  ): Promise<unknown>;
  history(ctx: ServiceContext, id: string): Promise<HistoryEntry[]>;
}

/**
 * The generic commands are typed per kind by the generated `Commands`; the one loosely
 * typed call below is where a kind's name becomes its command names.
 */
function callOf(ctx: ServiceContext): (command: string, args: unknown) => Promise<unknown> {
  const call = ctx.backend.call as unknown as (command: string, args: unknown) => Promise<unknown>;
  return (command, args) => call.call(ctx.backend, command, args);
}

export function recordService<K extends RecordKind>(kind: K): RecordService<K> {
  const saved = (ctx: ServiceContext, patient: string, record: RecordOf<K>): RecordOf<K> => {
    ctx.events.emit('record-saved', { kind, patient, id: (record as { id: string }).id });
    return record;
  };
  return {
    kind,
    /** Entries entered in error are listed too: they show struck through, never hidden. */
    async list(ctx, patient) {
      return (await callOf(ctx)(`${kind}.list`, {
        patient,
        include_retracted: true,
      })) as RecordOf<K>[];
    },
    async get(ctx, id) {
      return (await callOf(ctx)(`${kind}.get`, { id })) as RecordOf<K>;
    },
    async add(ctx, patient, fields) {
      const record = (await callOf(ctx)(`${kind}.add`, { ...fields, patient })) as RecordOf<K>;
      return saved(ctx, patient, record);
    },
    async update(ctx, patient, id, version, fields) {
      const record = (await callOf(ctx)(`${kind}.update`, {
        ...fields,
        id,
        version,
      })) as RecordOf<K>;
      return saved(ctx, patient, record);
    },
    async retract(ctx, patient, id, reason, version) {
      const args = version ? { id, reason, version } : { id, reason };
      const record = (await callOf(ctx)(`${kind}.retract`, args)) as RecordOf<K>;
      return saved(ctx, patient, record);
    },
    async history(ctx, id) {
      return (await callOf(ctx)(`${kind}.history`, { id })) as HistoryEntry[];
    },
  };
}
