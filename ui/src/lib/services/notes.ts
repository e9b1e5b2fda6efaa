import type {
  Amendment,
  Conflict,
  EncounterAdd,
  EncounterRecord,
  HistoryEntry,
  NoteAdd,
  NoteRecord,
  NoteUpdate,
  NoteView,
  VisitKindInfo,
} from '../api/types.gen';
import type { ServiceContext } from './context';

/**
 * Visits and notes. Every save announces `record-saved` (kind `note` or `encounter`) so
 * the summary's recent notes, the timeline and the notes list refresh on their own.
 */
function saved<T extends { id: string }>(
  ctx: ServiceContext,
  kind: 'note' | 'encounter',
  patient: string,
  record: T,
): T {
  ctx.events.emit('record-saved', { kind, patient, id: record.id });
  return record;
}

/** The four SOAP sections and the title: what the editor writes. */
export type NoteText = Pick<NoteAdd, 'title' | 'subjective' | 'objective' | 'assessment' | 'plan'>;
export type NoteField = keyof NoteText;
export const noteFields: NoteField[] = ['title', 'subjective', 'objective', 'assessment', 'plan'];

/** A patient's notes, those entered in error included (struck through, never hidden). */
export function listNotes(ctx: ServiceContext, patient: string): Promise<NoteRecord[]> {
  return ctx.backend.call('note.list', { patient, include_retracted: true });
}

/** One note with its version and its amendments and addenda, oldest first. */
export function getNote(ctx: ServiceContext, id: string): Promise<NoteView> {
  return ctx.backend.call('note.get', { id });
}

export function noteHistory(ctx: ServiceContext, id: string): Promise<HistoryEntry[]> {
  return ctx.backend.call('note.history', { id });
}

export async function addNote(ctx: ServiceContext, args: NoteAdd): Promise<NoteRecord> {
  return saved(ctx, 'note', args.patient, await ctx.backend.call('note.add', args));
}

export async function updateNote(
  ctx: ServiceContext,
  patient: string,
  args: NoteUpdate,
): Promise<NoteRecord> {
  return saved(ctx, 'note', patient, await ctx.backend.call('note.update', args));
}

/** Signs the note as read (`version`): the engine refuses if it changed since. */
export async function signNote(
  ctx: ServiceContext,
  patient: string,
  id: string,
  version: string[],
): Promise<NoteView> {
  return saved(ctx, 'note', patient, await ctx.backend.call('note.sign', { id, version }));
}

/** A correction of a signed note; the reason is required and kept with it. */
export async function amendNote(
  ctx: ServiceContext,
  patient: string,
  id: string,
  text: string,
  reason: string,
): Promise<NoteView> {
  return saved(ctx, 'note', patient, await ctx.backend.call('note.amend', { id, text, reason }));
}

export async function addendNote(
  ctx: ServiceContext,
  patient: string,
  id: string,
  text: string,
): Promise<NoteView> {
  return saved(ctx, 'note', patient, await ctx.backend.call('note.addendum', { id, text }));
}

/** Entered in error: the engine allows it to the signer or an administrator on a signed note. */
export async function retractNote(
  ctx: ServiceContext,
  patient: string,
  id: string,
  reason: string,
  version?: string[],
): Promise<NoteRecord> {
  const args = version ? { id, reason, version } : { id, reason };
  return saved(ctx, 'note', patient, await ctx.backend.call('note.retract', args));
}

/** The fields of this note that were edited concurrently (on two workstations or tabs). */
export async function noteConflicts(
  ctx: ServiceContext,
  patient: string,
  id: string,
): Promise<Conflict[]> {
  const all = await ctx.backend.call('conflict.list', { patient });
  return all.filter((c) => c.row === id);
}

/** Keeps one of the competing values of a field (by its change id). */
export async function keepValue(
  ctx: ServiceContext,
  patient: string,
  row: string,
  field: string,
  change: string,
): Promise<void> {
  await ctx.backend.call('conflict.resolve', { row, field, choose: change });
  ctx.events.emit('conflict-resolved', { row, field, entity: 'note', patient });
  ctx.events.emit('record-saved', { kind: 'note', patient, id: row });
}

export function listEncounters(ctx: ServiceContext, patient: string): Promise<EncounterRecord[]> {
  return ctx.backend.call('encounter.list', { patient, include_retracted: true });
}

/** Starts a visit now (status in-progress). */
export async function startEncounter(
  ctx: ServiceContext,
  args: Omit<EncounterAdd, 'start' | 'status'>,
  now: Date = new Date(),
): Promise<EncounterRecord> {
  const rec = await ctx.backend.call('encounter.add', {
    ...args,
    start: now.toISOString(),
    status: 'in-progress',
  });
  return saved(ctx, 'encounter', args.patient, rec);
}

/**
 * The coded kinds of visit (shipped SNOMED CT kinds, then the CPT and HCPCS codes of the
 * practice's imported visit value sets). A visit given one counts for the quality
 * measures; a visit in words only counts for none. Without them the form still starts a
 * visit, so an error here leaves the list empty rather than blocking the visit.
 */
export async function visitKinds(ctx: ServiceContext): Promise<VisitKindInfo[]> {
  try {
    return await ctx.backend.call('visit.kinds', {});
  } catch {
    return [];
  }
}

/** A kind's label in the visit form: its words, or its system and code. */
export function visitKindLabel(k: VisitKindInfo): string {
  const code = k.system ? `${k.system} ${k.code}` : `SNOMED CT ${k.code}`;
  return k.display ? `${k.display} (${code})` : `${k.group}: ${code}`;
}

/** An amendment's own fields (the engine keeps them as JSON). */
export interface AmendmentText {
  kind: 'amendment' | 'addendum';
  text: string;
  reason: string | null;
}

export function amendmentText(fields: unknown): AmendmentText {
  const f = (typeof fields === 'object' && fields !== null ? fields : {}) as Record<
    string,
    unknown
  >;
  return {
    kind: f.kind === 'addendum' ? 'addendum' : 'amendment',
    text: typeof f.text === 'string' ? f.text : '',
    reason: typeof f.reason === 'string' ? f.reason : null,
  };
}

/** Who is who, from a record's history: user ids to display names (ids are what records hold). */
export function authorNames(history: HistoryEntry[]): Map<string, string> {
  return new Map(history.map((h) => [h.author, h.author_name]));
}

/** A signed note's amendments and addenda, oldest first (ties keep the engine's order). */
export function amendmentsInOrder(view: NoteView): (Amendment & AmendmentText)[] {
  return view.amendments
    .map((a, i) => ({ a, i }))
    .sort((x, y) => x.a.at.localeCompare(y.a.at) || x.i - y.i)
    .map(({ a }) => ({ ...a, ...amendmentText(a.fields) }));
}
