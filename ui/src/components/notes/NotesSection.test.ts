import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { session, status, summary } from '../../lib/api/fixtures';
import type { EncounterRecord, NoteRecord, NoteView } from '../../lib/api/types.gen';
import Shell from '../app/Shell.svelte';

const meta = {
  created_at: 1,
  created_by: 'u1',
  created_change: 'c1',
  updated_at: 1,
  updated_by: 'u1',
  retracted: false,
};

/** One patient and a ledger of notes, behind a fake backend; logged in as `perms` allow. */
function practice(permissions = session().permissions) {
  let n = 0;
  const notes = new Map<string, NoteView>();
  const sess = session({ permissions });
  const backend = new FakeBackend()
    .on('app.status', () => status({ session: sess }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', () => summary())
    .on('note.list', () => [...notes.values()] as NoteRecord[])
    .on('encounter.list', () => [])
    .on('visit.kinds', () => [
      {
        system: '',
        code: '444971000124105',
        display: 'Annual wellness visit',
        group: 'Annual Wellness Visit',
        value_sets: ['Annual Wellness Visit'],
      },
      {
        system: 'CPT',
        code: '99213',
        display: '',
        group: 'Office Visit',
        value_sets: ['Office Visit'],
      },
    ])
    .on('encounter.add', (a) => ({ ...meta, ...a, id: 'e1' }) as EncounterRecord)
    .on('conflict.list', () => [])
    .on('note.add', (a) => {
      const note: NoteView = {
        ...meta,
        ...a,
        id: `n${notes.size + 1}`,
        status: 'draft',
        amendments: [],
        version: [`v${++n}`],
      };
      notes.set(note.id, note);
      return note;
    })
    .on('note.update', (u) => {
      const note = { ...notes.get(u.id)!, ...u, version: [`v${++n}`] } as NoteView;
      notes.set(u.id, note);
      return note;
    })
    .on('note.get', ({ id }) => notes.get(id)!)
    .on('note.sign', ({ id }) => {
      const note: NoteView = {
        ...notes.get(id)!,
        status: 'signed',
        signed_by: 'u1',
        signed_at: '2026-03-01T10:42:00Z',
      };
      notes.set(id, note);
      return note;
    })
    .on('note.history', () => [
      {
        at: '',
        author: 'u1',
        author_name: 'drlee',
        change: 'c1',
        device: 'd',
        fields: {},
        op: 'create',
      },
    ])
    .on('note.amend', ({ id, text, reason }) => {
      const note = notes.get(id)!;
      const next: NoteView = {
        ...note,
        amendments: [
          ...note.amendments,
          {
            id: `c${note.amendments.length + 9}`,
            at: `2026-03-0${note.amendments.length + 2}T09:00:00Z`,
            author: 'u1',
            fields: { kind: 'amendment', text, reason },
          },
        ],
      };
      notes.set(id, next);
      return next;
    });
  return backend;
}

async function openNotes() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  await screen.findByRole('region', { name: 'Patient banner' });
  await fireEvent.click(screen.getByRole('button', { name: 'Visits and notes' }));
  await screen.findByRole('heading', { name: 'Visits and notes' });
}

describe('Visits and notes', () => {
  afterEach(() => cleanup());

  it('saves a draft by itself, signs it, and then it can only be amended, in order', async () => {
    const backend = practice();
    render(Shell, { backend });
    await openNotes();
    await fireEvent.click(screen.getByRole('button', { name: 'New note' }));
    await fireEvent.input(screen.getByLabelText('Subjective'), {
      target: { value: 'Cough for three days' },
    });
    await waitFor(() => expect(screen.getByText(/^\s*Saved \d/)).toBeTruthy(), { timeout: 3000 });
    expect(backend.callsOf('note.add')).toEqual([
      { patient: 'p1', kind: 'soap', subjective: 'Cough for three days' },
    ]);

    await fireEvent.click(screen.getByRole('button', { name: 'Sign note' }));
    const note = await screen.findByRole('article', { name: /Note/ });
    expect(backend.callsOf('note.sign')).toEqual([{ id: 'n1', version: ['v1'] }]);
    expect(within(note).getByText('Cough for three days')).toBeTruthy();
    await waitFor(() => expect(note.textContent).toMatch(/Signed by drlee/));
    expect(screen.queryByLabelText('Subjective')).toBeNull();

    for (const [reason, text] of [
      ['wrong duration', 'Cough for four days'],
      ['add fever', 'Fever since yesterday'],
    ]) {
      await fireEvent.click(within(note).getByRole('button', { name: 'Amend' }));
      await fireEvent.input(screen.getByLabelText('Reason for the amendment'), {
        target: { value: reason },
      });
      await fireEvent.input(screen.getByLabelText('Correction'), { target: { value: text } });
      await fireEvent.click(screen.getByRole('button', { name: 'Save amendment' }));
      await waitFor(() => expect(note.textContent).toContain(text));
    }
    const items = within(note).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual([
      expect.stringContaining('Cough for four days'),
      expect.stringContaining('Fever since yesterday'),
    ]);
  }, 20_000); // a whole visit, through the shell: slow on a busy machine

  it('a visit started with a coded kind sends its code, and words fill from the kind', async () => {
    const backend = practice();
    render(Shell, { backend });
    await openNotes();
    await fireEvent.click(screen.getByRole('button', { name: 'Start visit' }));
    const code = await screen.findByLabelText('Visit code');
    await screen.findByRole('option', {
      name: /Annual wellness visit \(SNOMED CT 444971000124105\)/,
    });
    expect(screen.getByRole('option', { name: 'Office Visit: CPT 99213' })).toBeTruthy();
    await fireEvent.change(code, { target: { value: '|444971000124105' } });
    expect((screen.getByLabelText('Kind of visit') as HTMLInputElement).value).toBe(
      'Annual wellness visit',
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Start visit and note' }));
    await waitFor(() => expect(backend.callsOf('encounter.add')).toHaveLength(1));
    expect(backend.callsOf('encounter.add')[0]).toMatchObject({
      patient: 'p1',
      type: 'Annual wellness visit',
      type_code: '444971000124105',
      type_system: null,
      status: 'in-progress',
    });

    // A CPT code keeps the words the clinician typed and names its system.
    await fireEvent.click(screen.getByRole('button', { name: 'Start visit' }));
    await fireEvent.input(screen.getByLabelText('Kind of visit'), {
      target: { value: 'Diabetes follow-up' },
    });
    await fireEvent.change(screen.getByLabelText('Visit code'), { target: { value: 'CPT|99213' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Start visit and note' }));
    await waitFor(() => expect(backend.callsOf('encounter.add')).toHaveLength(2));
    expect(backend.callsOf('encounter.add')[1]).toMatchObject({
      type: 'Diabetes follow-up',
      type_code: '99213',
      type_system: 'CPT',
    });
  }, 20_000);

  it('locking right after typing still saves the draft before the screen locks', async () => {
    const backend = practice().on('app.lock', () => ({}));
    render(Shell, { backend });
    await openNotes();
    await fireEvent.click(screen.getByRole('button', { name: 'New note' }));
    await fireEvent.input(screen.getByLabelText('Plan'), { target: { value: 'Rest' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Lock' }));
    await screen.findByRole('heading', { name: 'Locked' });
    // The lock waits for the save it set off, so app.lock follows note.add's answer.
    await waitFor(() => expect(backend.callsOf('app.lock')).toHaveLength(1));
    const order = backend.calls
      .map((c) => c.command)
      .filter((c) => c === 'note.add' || c === 'app.lock');
    expect(order).toEqual(['note.add', 'app.lock']);
    expect(backend.callsOf('note.add')[0]).toMatchObject({ plan: 'Rest' });
  });

  it('a nurse writes drafts but has no Sign button', async () => {
    render(Shell, {
      backend: practice(['demographics', 'edit_demographics', 'read_chart', 'write_chart']),
    });
    await openNotes();
    await fireEvent.click(screen.getByRole('button', { name: 'New note' }));
    expect(screen.getByLabelText('Plan')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Sign note' })).toBeNull();
  });

  it('a template fills the sections and the administration screen is absent for a clinician', async () => {
    render(Shell, { backend: practice() });
    await openNotes();
    expect(screen.queryByRole('button', { name: 'Administration' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'New note' }));
    await fireEvent.change(screen.getByLabelText('Template'), { target: { value: 'procedure' } });
    expect((screen.getByLabelText('Title') as HTMLInputElement).value).toBe('Procedure note');
    expect((screen.getByLabelText('Objective') as HTMLTextAreaElement).value).toContain(
      'Complications: none',
    );
  });
});
