import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import type { NoteAdd, NoteRecord, NoteUpdate, NoteView } from '../api/types.gen';
import { EventBus } from '../events';
import { NoteDraft } from './note-draft.svelte';

const meta = {
  created_at: 0,
  created_by: 'u1',
  created_change: 'c1',
  updated_at: 0,
  updated_by: 'u1',
  retracted: false,
};

/** A ledger of one note: each write moves the version on, as the engine does. */
function notes() {
  let n = 0;
  let note: NoteView | null = null;
  const backend = new FakeBackend()
    .on('note.add', (a: NoteAdd) => {
      note = { ...meta, ...a, id: 'n1', status: 'draft', amendments: [], version: [`v${++n}`] };
      return note;
    })
    .on('note.update', (u: NoteUpdate) => {
      if (!note) throw new Error('no note');
      note = { ...note, ...u, version: [`v${++n}`] } as NoteView;
      return note as NoteRecord;
    })
    .on('note.get', () => note as NoteView)
    .on('note.sign', () => {
      note = { ...(note as NoteView), status: 'signed', signed_by: 'u1', signed_at: 'now' };
      return note;
    })
    .on('conflict.list', () => []);
  return { backend, ctx: { backend, events: new EventBus() } };
}

describe('NoteDraft autosave', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('saves once after a pause in typing, then updates with the version answered', async () => {
    const { backend, ctx } = notes();
    const draft = new NoteDraft(ctx, 'p1', { delayMs: 500, encounter: 'e1' });
    draft.set('subjective', 'C');
    draft.set('subjective', 'Co');
    draft.set('subjective', 'Cough');
    expect(draft.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(499);
    expect(backend.callsOf('note.add')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await draft.flush();
    expect(backend.callsOf('note.add')).toEqual([
      { patient: 'p1', kind: 'soap', encounter: 'e1', subjective: 'Cough' },
    ]);
    expect(draft.status).toBe('saved');
    expect(draft.savedAt).not.toBeNull();

    draft.set('plan', 'Fluids');
    draft.set('subjective', 'Cough 3 days');
    await vi.advanceTimersByTimeAsync(500);
    await draft.flush();
    expect(backend.callsOf('note.update')).toEqual([
      { id: 'n1', version: ['v1'], subjective: 'Cough 3 days', plan: 'Fluids' },
    ]);
    draft.set('plan', '');
    await draft.flush();
    // Only the changed field, on the newest version; an emptied field is cleared.
    expect(backend.callsOf('note.update')[1]).toEqual({ id: 'n1', version: ['v2'], plan: null });
    expect(draft.version).toEqual(['v3']);
  });

  it('a plain save of a field keeps the other fields’ versions and rereads nothing', async () => {
    const { backend, ctx } = notes();
    backend.on('note.update', (u) => ({
      ...meta,
      id: u.id,
      version: ['v1', `${u.version.length}x`],
    }));
    const draft = new NoteDraft(ctx, 'p1');
    draft.set('subjective', 'A');
    await draft.flush();
    draft.set('plan', 'B');
    await draft.flush();
    expect(draft.version).toEqual(['v1', '1x']);
    expect(backend.callsOf('note.get')).toHaveLength(0);
    expect(backend.callsOf('conflict.list')).toHaveLength(0);
  });

  it('keeps what was typed and says so when a save fails, then saves on the next pause', async () => {
    const { backend, ctx } = notes();
    backend.fail('note.add', 'storage_error', 'The disk is full.');
    const draft = new NoteDraft(ctx, 'p1', { delayMs: 100 });
    draft.set('assessment', 'Viral URI');
    await vi.advanceTimersByTimeAsync(100);
    await draft.flush();
    expect(draft.status).toBe('error');
    expect(draft.error?.message).toBe('The disk is full.');
    expect(draft.text.assessment).toBe('Viral URI');

    // The disk has room again:
    backend.on('note.add', (a) => ({ ...meta, ...a, id: 'n1', version: ['v1'] }));
    draft.set('assessment', 'Viral URI.');
    await vi.advanceTimersByTimeAsync(100);
    await draft.flush();
    expect(draft.status).toBe('saved');
    expect(draft.error).toBeNull();
  });

  it('nothing typed saves nothing', async () => {
    const { backend, ctx } = notes();
    const draft = new NoteDraft(ctx, 'p1');
    await draft.flush();
    expect(backend.calls).toHaveLength(0);
    expect(draft.status).toBe('empty');
  });
});

describe('NoteDraft sign', () => {
  it('saves pending text, signs the version saved, then refuses edits', async () => {
    const { backend, ctx } = notes();
    const draft = new NoteDraft(ctx, 'p1', { delayMs: 10_000 });
    draft.set('subjective', 'Cough');
    await draft.sign();
    expect(backend.callsOf('note.add')).toHaveLength(1);
    expect(backend.callsOf('note.sign')).toEqual([{ id: 'n1', version: ['v1'] }]);
    expect(draft.readOnly).toBe(true);
    expect(draft.signed?.signed_by).toBe('u1');
    draft.set('subjective', 'changed after signing');
    expect(draft.text.subjective).toBe('Cough');
    await draft.flush();
    expect(backend.callsOf('note.update')).toHaveLength(0);
  });

  it('an existing signed note opens read-only', () => {
    const { ctx } = notes();
    const signed: NoteView = {
      ...meta,
      id: 'n2',
      status: 'signed',
      subjective: 'S',
      amendments: [],
      version: ['x'],
    };
    const draft = new NoteDraft(ctx, 'p1', { note: signed });
    expect(draft.readOnly).toBe(true);
    expect(draft.text.subjective).toBe('S');
  });
});

describe('NoteDraft concurrent edits', () => {
  it('takes the other side’s edit of an untouched field and shows a conflict on a shared one', async () => {
    const { backend, ctx } = notes();
    const draft = new NoteDraft(ctx, 'p1');
    draft.set('subjective', 'Mine');
    await draft.flush();
    // Another workstation wrote plan and subjective meanwhile: the engine answers two heads.
    backend
      .on('note.update', (u) => ({ ...meta, id: u.id, version: ['v1', 'w1', 'v2'] }))
      .on('note.get', () => ({
        ...meta,
        id: 'n1',
        subjective: 'Theirs',
        plan: 'Their plan',
        amendments: [],
        version: ['v1', 'w1', 'v2'],
      }))
      .on('conflict.list', () => [
        {
          entity: 'note',
          field: 'subjective',
          hidden: false,
          row: 'n1',
          shown: 'Theirs',
          signed: false,
          since: 'now',
          values: [],
        },
        {
          entity: 'note',
          field: 'plan',
          hidden: false,
          row: 'other-note',
          shown: 'x',
          signed: false,
          since: 'now',
          values: [],
        },
      ]);
    draft.set('subjective', 'Mine, edited');
    await draft.flush();
    expect(draft.text.plan).toBe('Their plan');
    expect(draft.conflicts.map((c) => c.field)).toEqual(['subjective']);
    await expect(draft.sign()).rejects.toThrow(/edited elsewhere/);
    expect(backend.callsOf('note.sign')).toHaveLength(0);
  });
});
