import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { allergy, session, status, summary } from '../../lib/api/fixtures';
import Shell from '../app/Shell.svelte';

function practice() {
  return new FakeBackend()
    .on('app.status', () => status({ session: session() }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', () => summary({ allergies: [allergy()] }));
}

async function openChart() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  await screen.findByRole('region', { name: 'Patient banner' });
}

describe('Print', () => {
  afterEach(() => cleanup());

  it('prints the summary with the identifiers in a repeated header, never in the title', async () => {
    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    document.title = 'Chartkeep';
    render(Shell, { backend: practice() });
    await openChart();
    await fireEvent.click(screen.getByRole('button', { name: 'Print' }));
    const button = await screen.findByRole('button', { name: 'Print patient summary' });
    await waitFor(() => expect(document.querySelector('body > .print-portal')).not.toBeNull());
    const portal = document.querySelector('body > .print-portal')!;
    const header = portal.querySelector('thead')!.textContent!;
    expect(header).toContain('Testperson, Ann');
    expect(header).toContain('1980-05-01');
    expect(header).toContain('0000001');
    expect(header).toMatch(/Printed /);
    expect(portal.querySelector('tbody')!.textContent).toContain('Penicillin');
    await fireEvent.click(button);
    expect(print).toHaveBeenCalledTimes(1);
    expect(document.title).toBe('Chartkeep');

    // Leaving the section (or a lock) takes the printable copy out of the page.
    await fireEvent.click(screen.getByRole('button', { name: 'Summary' }));
    await waitFor(() => expect(document.querySelector('.print-portal')).toBeNull());
    print.mockRestore();
  });

  it('an administrator gets the Administration screen', async () => {
    const admin = session({
      user: 'admin',
      role: 'administrator',
      permissions: ['demographics', 'edit_demographics', 'administer', 'resolve_conflicts'],
    });
    const backend = new FakeBackend()
      .on('app.status', () => status({ session: admin }))
      .on('patient.search', () => [])
      .on('user.list', () => [
        { id: 'u1', name: 'drlee', role: 'clinician', active: true, retracted: false, version: [] },
      ]);
    render(Shell, { backend });
    await fireEvent.click(await screen.findByRole('button', { name: 'Administration' }));
    expect(await screen.findByRole('cell', { name: 'drlee' })).toBeTruthy();
  });
});
