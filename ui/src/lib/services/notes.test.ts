import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import type { NoteView } from '../api/types.gen';
import { EventBus } from '../events';
import { amendmentsInOrder, amendNote, authorNames, startEncounter } from './notes';

const meta = {
  created_at: 0,
  created_by: 'u1',
  created_change: 'c1',
  updated_at: 0,
  updated_by: 'u1',
  retracted: false,
};

describe('notes service', () => {
  it('lists amendments and addenda oldest first with their kind, text and reason', () => {
    const view: NoteView = {
      ...meta,
      id: 'n1',
      amendments: [
        {
          id: 'c3',
          at: '2026-03-02T10:00:00Z',
          author: 'u2',
          fields: { kind: 'addendum', text: 'Called back' },
        },
        {
          id: 'c2',
          at: '2026-03-01T10:00:00Z',
          author: 'u1',
          fields: { kind: 'amendment', text: 'Left ear, not right', reason: 'side wrong' },
        },
      ],
    };
    const list = amendmentsInOrder(view);
    expect(list.map((a) => a.id)).toEqual(['c2', 'c3']);
    expect(list[0]).toMatchObject({ kind: 'amendment', reason: 'side wrong' });
    expect(list[1]).toMatchObject({ kind: 'addendum', text: 'Called back', reason: null });
  });

  it('amending announces the save so the chart reloads', async () => {
    const backend = new FakeBackend().on('note.amend', (a) => ({
      ...meta,
      id: a.id,
      amendments: [],
    }));
    const events = new EventBus();
    const seen: string[] = [];
    events.on('record-saved', (e) => seen.push(`${e.kind}:${e.patient}:${e.id}`));
    await amendNote({ backend, events }, 'p1', 'n1', 'Corrected', 'typo');
    expect(backend.callsOf('note.amend')).toEqual([
      { id: 'n1', text: 'Corrected', reason: 'typo' },
    ]);
    expect(seen).toEqual(['note:p1:n1']);
  });

  it('starts a visit now, in progress', async () => {
    const backend = new FakeBackend().on('encounter.add', (a) => ({ ...meta, ...a, id: 'e1' }));
    const rec = await startEncounter(
      { backend, events: new EventBus() },
      { patient: 'p1', type: 'office visit', reason: 'cough' },
      new Date('2026-03-01T09:30:00Z'),
    );
    expect(rec.status).toBe('in-progress');
    expect(backend.callsOf('encounter.add')[0]).toMatchObject({
      start: '2026-03-01T09:30:00.000Z',
    });
  });

  it('names authors from a history', () => {
    const names = authorNames([
      {
        at: '',
        author: 'u1',
        author_name: 'Dr Lee',
        change: 'c',
        device: 'd',
        fields: {},
        op: 'create',
      },
    ]);
    expect(names.get('u1')).toBe('Dr Lee');
  });
});
