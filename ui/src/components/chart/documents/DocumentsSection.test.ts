import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../../../lib/api/fake-backend';
import { session, status, summary } from '../../../lib/api/fixtures';
import type { DocumentRecord } from '../../../lib/api/types.gen';
import Shell from '../../app/Shell.svelte';

const meta = {
  created_at: 1,
  created_by: 'u1',
  created_change: 'c1',
  updated_at: 1,
  updated_by: 'u1',
  retracted: false,
};

function practice() {
  const docs: DocumentRecord[] = [];
  const backend = new FakeBackend()
    .on('app.status', () => status({ session: session() }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', () => summary())
    .on('document.list', () => docs)
    .on('document.add', (a) => {
      if ((a.content ?? '').length > 20) throw { code: 'too_large', message: 'the limit is 20 MB' };
      const d = { ...meta, id: `d${docs.length + 1}`, title: a.title, mime: 'image/png', size: 3 };
      docs.push(d);
      return d;
    })
    .on('document.content', ({ id }) => ({ id, content: btoa('PNG'), mime: 'image/png' }));
  return backend;
}

async function openDocuments() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  await screen.findByRole('region', { name: 'Patient banner' });
  await fireEvent.click(screen.getByRole('button', { name: 'Documents' }));
}

describe('Documents', () => {
  const { createObjectURL, revokeObjectURL } = URL;
  afterEach(() => {
    cleanup();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
  });

  it('attaches an image as base64, shows it from a blob: URL and revokes it on close', async () => {
    const created: string[] = [];
    const revoked: string[] = [];
    URL.createObjectURL = vi.fn(() => {
      created.push(`blob:test/${created.length}`);
      return created.at(-1)!;
    });
    URL.revokeObjectURL = vi.fn((u: string) => void revoked.push(u));
    const backend = practice();
    render(Shell, { backend });
    await openDocuments();
    const file = new File([new Uint8Array([1, 2, 3])], 'rash.png', { type: 'image/png' });
    await fireEvent.change(screen.getByLabelText('Choose a file…'), { target: { files: [file] } });
    await waitFor(() => expect(backend.callsOf('document.add')).toHaveLength(1));
    expect(backend.callsOf('document.add')[0]).toMatchObject({
      patient: 'p1',
      title: 'rash.png',
      content: 'AQID',
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'View rash.png' }));
    const img = await screen.findByRole('img', { name: 'rash.png' });
    expect(img.getAttribute('src')).toBe('blob:test/0');
    await fireEvent.click(screen.getByRole('button', { name: 'Close document' }));
    await waitFor(() => expect(revoked).toEqual(['blob:test/0']));
  });

  it('shows the engine’s message for a file over the limit, and refuses other types', async () => {
    render(Shell, { backend: practice() });
    await openDocuments();
    const big = new File([new Uint8Array(64)], 'scan.pdf', { type: 'application/pdf' });
    await fireEvent.change(screen.getByLabelText('Choose a file…'), { target: { files: [big] } });
    expect((await screen.findByRole('alert')).textContent).toContain(
      'scan.pdf: the limit is 20 MB',
    );
    const doc = new File(['x'], 'letter.docx', { type: 'application/msword' });
    await fireEvent.change(screen.getByLabelText('Choose a file…'), { target: { files: [doc] } });
    expect((await screen.findByRole('alert')).textContent).toContain('not a PDF or an image');
  });
});
