import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { allergy, checkAnswer, session, status, summary } from '../../lib/api/fixtures';
import type { AllergyRecord } from '../../lib/api/types.gen';
import Shell from './Shell.svelte';

/** A small practice behind a fake backend: one patient, logins, locks. */
function practice() {
  let loggedIn = false;
  let locked = false;
  let allergies: AllergyRecord[] = [];
  const backend = new FakeBackend()
    .on('app.status', () =>
      status({ session: loggedIn ? session({ locked }) : null, key_mode: 'passphrase' }),
    )
    .on('app.login', ({ password }) => {
      if (password !== 'right') throw Object.assign(new Error(), {});
      loggedIn = true;
      return session();
    })
    .on('app.lock', () => {
      locked = true;
      return {};
    })
    .on('app.resume', () => {
      locked = false;
      return session();
    })
    .on('patient.search', () => [
      { id: 'p1', name: 'Testperson, Ann', birth_date: '1980-05-01', mrn: '0000001' },
    ])
    .on('chart.summary', () => summary({ allergies }))
    .on('allergy.list', () => allergies)
    // The safety check runs before every new allergy; nothing to alert on here.
    .on('cds.check', () => checkAnswer())
    .on('allergy.add', (a) => {
      const rec = allergy({
        id: 'a9',
        substance: a.substance ?? null,
        severity: a.severity ?? null,
      });
      allergies = [...allergies, rec];
      return rec;
    });
  return backend;
}

async function logIn() {
  await fireEvent.input(await screen.findByLabelText('User name'), { target: { value: 'drlee' } });
  await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'right' } });
  await fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
}

async function openAnn() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  return screen.findByRole('region', { name: 'Patient banner' });
}

describe('Shell', () => {
  afterEach(() => cleanup());

  it('logs in, opens a chart with the keyboard, and shows "Allergies not recorded"', async () => {
    render(Shell, { backend: practice() });
    await logIn();
    const banner = await openAnn();
    expect(banner.textContent).toContain('Testperson, Ann');
    expect(banner.textContent).toContain('Allergies not recorded');
  });

  it('a saved allergy shows in the banner without a reload', async () => {
    render(Shell, { backend: practice() });
    await logIn();
    const banner = await openAnn();
    await fireEvent.click(screen.getByRole('button', { name: 'Allergies' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Add allergy' }));
    await fireEvent.input(screen.getByLabelText('Substance'), { target: { value: 'Latex' } });
    await fireEvent.change(screen.getByLabelText('Severity'), { target: { value: 'severe' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save allergy' }));
    await waitFor(() => expect(banner.textContent).toContain('Latex'));
    expect(banner.textContent).toContain('severe');
  });

  it('lock removes the chart from the page and resume returns to the same section', async () => {
    render(Shell, { backend: practice() });
    await logIn();
    await openAnn();
    await fireEvent.click(screen.getByRole('button', { name: 'Allergies' }));
    await screen.findByRole('heading', { name: 'Allergies' });
    await fireEvent.click(screen.getByRole('button', { name: 'Lock' }));
    await screen.findByRole('heading', { name: 'Locked' });
    expect(screen.queryByRole('region', { name: 'Patient banner' })).toBeNull();
    expect(document.body.textContent).not.toContain('Testperson');
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'right' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    const banner = await screen.findByRole('region', { name: 'Patient banner' });
    expect(banner.textContent).toContain('Testperson, Ann');
    expect(screen.getByRole('button', { name: 'Allergies' }).getAttribute('aria-current')).toBe(
      'page',
    );
  });

  it('a front-desk role sees only demographics and insurance, no clinical sections', async () => {
    const backend = practice()
      .on('app.login', () => session({ permissions: ['demographics', 'edit_demographics'] }))
      .on('app.status', () =>
        status({ session: session({ permissions: ['demographics', 'edit_demographics'] }) }),
      )
      .on('patient.get', () => summary().patient)
      .on('coverage.list', () => []);
    render(Shell, { backend });
    await openAnn();
    const nav = await screen.findByRole('navigation', { name: 'Chart sections' });
    expect([...nav.querySelectorAll('button')].map((b) => b.textContent)).toEqual([
      'Demographics',
      'Insurance',
    ]);
    expect(await screen.findByRole('button', { name: 'Edit demographics' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Add allergy' })).toBeNull();
    expect(backend.callsOf('chart.summary')).toHaveLength(0);
  });

  it('/ jumps to the search from a chart, but not while typing in a field', async () => {
    render(Shell, { backend: practice() });
    await logIn();
    await openAnn();
    await fireEvent.click(screen.getByRole('button', { name: 'Allergies' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Add allergy' }));
    const substance = screen.getByLabelText('Substance');
    substance.focus();
    const typed = await fireEvent.keyDown(substance, { key: '/' });
    expect(typed).toBe(true); // not prevented: the field gets its slash
    expect(screen.queryByRole('region', { name: 'Patient banner' })).not.toBeNull();
    await fireEvent.keyDown(document.body, { key: '/' });
    const search = await screen.findByLabelText('Search patients');
    await waitFor(() => expect(document.activeElement).toBe(search));
  });
});
