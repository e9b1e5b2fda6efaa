import { ApiError, toApiError } from '../api/errors';
import type { Conflict, NoteRecord, NoteView } from '../api/types.gen';
import type { ServiceContext } from '../services/context';
import {
  addNote,
  getNote,
  keepValue,
  noteConflicts,
  noteFields,
  signNote,
  updateNote,
  type NoteField,
} from '../services/notes';

/** What the editor says about saving: "Saving…", "Saved 10:42", or the error. */
export type SaveStatus = 'empty' | 'pending' | 'saving' | 'saved' | 'error';

export type NoteTextFields = Record<NoteField, string>;

function emptyText(): NoteTextFields {
  return { title: '', subjective: '', objective: '', assessment: '', plan: '' };
}

function textOf(note: NoteRecord | NoteView): NoteTextFields {
  const t = emptyText();
  for (const f of noteFields) t[f] = note[f] ?? '';
  return t;
}

export interface NoteDraftOptions {
  /** An existing note (from `note.get`); without it the first save adds one. */
  note?: NoteView;
  encounter?: string | null;
  /** Quiet time after the last keystroke before saving. */
  delayMs?: number;
  /** Epoch ms; tests fix it. */
  now?: () => number;
}

/**
 * A note being written. Every pause in typing saves it to the ledger (`note.add` once, then
 * `note.update` with the version the last save answered), so a crash loses at most the last
 * second of typing and nothing is ever kept in browser storage. Only the fields changed
 * since the last save are sent, so an edit made elsewhere to another field is kept, and
 * one made to the same field shows as a conflict instead of being lost. Once signed the
 * draft is read-only.
 */
export class NoteDraft {
  text = $state<NoteTextFields>(emptyText());
  id = $state<string | null>(null);
  status = $state<SaveStatus>('empty');
  /** When the ledger last took a save (epoch ms). */
  savedAt = $state<number | null>(null);
  error = $state<ApiError | null>(null);
  conflicts = $state<Conflict[]>([]);
  /** The signed note (with its amendments), once signed. */
  signed = $state<NoteView | null>(null);
  readOnly = $derived(this.signed !== null);

  readonly patient: string;
  readonly encounter: string | null;
  readonly #ctx: ServiceContext;
  readonly #delayMs: number;
  readonly #now: () => number;
  /** What the ledger holds, as of the last save or read. */
  #saved: NoteTextFields = emptyText();
  #version: string[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #chain: Promise<void> = Promise.resolve();
  #busy = false;

  constructor(ctx: ServiceContext, patient: string, options: NoteDraftOptions = {}) {
    this.#ctx = ctx;
    this.patient = patient;
    this.#delayMs = options.delayMs ?? 800;
    this.#now = options.now ?? Date.now;
    this.encounter = options.note?.encounter ?? options.encounter ?? null;
    if (options.note) this.#adopt(options.note);
  }

  /** The version the next save or the signature is based on. */
  get version(): string[] {
    return this.#version;
  }

  get dirty(): boolean {
    return noteFields.some((f) => this.text[f] !== this.#saved[f]);
  }

  /** A keystroke: the save waits for a pause. */
  set(field: NoteField, value: string): void {
    if (this.readOnly) return;
    this.text[field] = value;
    this.#schedule();
  }

  /** Adds a block of text (a template section, the latest vitals…) at the end of a field. */
  append(field: NoteField, block: string): void {
    const current = this.text[field].trimEnd();
    this.set(field, current ? `${current}\n${block}` : block);
  }

  /** Saves now (before signing, on leaving the editor); resolves when the ledger has it. */
  flush(): Promise<void> {
    this.#clearTimer();
    // With no save in flight the call starts now, synchronously, so a save asked for as
    // the screen locks reaches the engine before the lock does.
    this.#chain = this.#busy ? this.#chain.then(() => this.#run()) : this.#run();
    return this.#chain;
  }

  async #run(): Promise<void> {
    this.#busy = true;
    try {
      await this.#save();
    } finally {
      this.#busy = false;
    }
  }

  /** Signs what the user sees; the engine refuses if the note changed meanwhile. */
  async sign(): Promise<void> {
    await this.flush();
    if (this.status === 'error') throw this.error ?? new ApiError('internal_error', 'Not saved.');
    if (!this.id) throw new ApiError('invalid_input', 'Write the note before signing it.');
    if (this.conflicts.length > 0) {
      throw new ApiError(
        'invalid_input',
        'This note was edited elsewhere at the same time: choose which text to keep first.',
      );
    }
    const view = await signNote(this.#ctx, this.patient, this.id, this.#version);
    this.#adopt(view);
  }

  /** Keeps one competing value of a conflicted field, then rereads the note. */
  async keep(field: string, change: string): Promise<void> {
    if (!this.id) return;
    await keepValue(this.#ctx, this.patient, this.id, field, change);
    await this.#reread();
  }

  dispose(): void {
    this.#clearTimer();
  }

  #adopt(note: NoteView | NoteRecord): void {
    this.id = note.id;
    this.#version = note.version ?? this.#version;
    this.text = textOf(note);
    this.#saved = textOf(note);
    this.status = 'saved';
    this.savedAt = note.updated_at;
    if (note.status === 'signed' && 'amendments' in note) this.signed = note;
  }

  #schedule(): void {
    this.status = 'pending';
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.#delayMs);
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #save(): Promise<void> {
    if (this.readOnly) return;
    const snapshot = { ...this.text };
    const changed = noteFields.filter((f) => snapshot[f] !== this.#saved[f]);
    if (changed.length === 0) {
      if (this.status !== 'error') this.status = this.id ? 'saved' : 'empty';
      return;
    }
    this.status = 'saving';
    try {
      let rec: NoteRecord;
      if (!this.id) {
        const fields: Partial<NoteTextFields> = {};
        for (const f of changed) fields[f] = snapshot[f];
        rec = await addNote(this.#ctx, {
          patient: this.patient,
          kind: 'soap',
          ...(this.encounter ? { encounter: this.encounter } : {}),
          ...fields,
        });
      } else {
        const fields: Partial<Record<NoteField, string | null>> = {};
        for (const f of changed) fields[f] = snapshot[f] === '' ? null : snapshot[f];
        rec = await updateNote(this.#ctx, this.patient, {
          id: this.id,
          version: this.#version,
          ...fields,
        });
      }
      // The version lists the latest change of each field. After our own write it holds
      // one change we had not seen (ours); more than one means someone else wrote too.
      const seen = this.#version;
      const unseen = (rec.version ?? []).filter((v) => !seen.includes(v)).length;
      const concurrent = this.id !== null && unseen > 1;
      this.id = rec.id;
      this.#version = rec.version ?? this.#version;
      for (const f of changed) this.#saved[f] = snapshot[f];
      this.savedAt = this.#now();
      this.error = null;
      this.status = this.dirty ? 'pending' : 'saved';
      if (concurrent) await this.#reread();
    } catch (e) {
      this.error = toApiError(e);
      this.status = 'error';
    }
  }

  /**
   * Takes what others wrote into the fields this editor has not changed since its last
   * save, and lists the fields both changed, so nothing typed on either side is lost.
   */
  async #reread(): Promise<void> {
    if (!this.id) return;
    const [note, conflicts] = await Promise.all([
      getNote(this.#ctx, this.id),
      noteConflicts(this.#ctx, this.patient, this.id),
    ]);
    this.#version = note.version ?? this.#version;
    const fresh = textOf(note);
    for (const f of noteFields) {
      if (this.text[f] === this.#saved[f]) this.text[f] = fresh[f];
      this.#saved[f] = fresh[f];
    }
    this.conflicts = conflicts;
    if (this.dirty) this.#schedule();
  }
}
