import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { session, status, summary } from '../../lib/api/fixtures';
import { ipsBundle, type IpsFixture } from '../../lib/api/ips-fixtures';
import Shell from '../app/Shell.svelte';

function practice(ips: IpsFixture) {
  return new FakeBackend()
    .on('app.status', () => status({ session: session() }))
    .on('patient.search', () => [
      { id: 'p1', name: 'Quintero, Lucía', birth_date: '1961-02-03', mrn: '0004821' },
    ])
    .on('chart.summary', () => summary())
    .on('export.ips', () => ({ bundle: ipsBundle(ips) }));
}

async function openIpsPrint(backend: FakeBackend) {
  render(Shell, { backend });
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'quintero' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  await screen.findByRole('region', { name: 'Patient banner' });
  await fireEvent.click(screen.getByRole('button', { name: 'Print' }));
  // The summary is fetched (and logged as an export) only once it is chosen.
  await screen.findByRole('button', { name: 'Print patient summary' });
  expect(backend.callsOf('export.ips')).toEqual([]);
  await fireEvent.click(screen.getByRole('radio', { name: /International Patient Summary/ }));
  return await screen.findByLabelText('Print preview');
}

function portals() {
  return document.querySelectorAll('body > .print-portal');
}

describe('Printing the International Patient Summary', () => {
  afterEach(() => cleanup());

  it("prints in a Spanish-speaking patient's language, the same page as the preview", async () => {
    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    const backend = practice({ language: 'es-MX', noMedications: true });
    const preview = await openIpsPrint(backend);
    expect(backend.callsOf('export.ips')).toEqual([{ patient: 'p1' }]);

    expect(preview.getAttribute('lang')).toBe('es');
    const headings = within(preview)
      .getAllByRole('heading', { level: 2 })
      .map((h) => h.textContent);
    expect(headings).toEqual([
      'Problemas de salud',
      'Medicación',
      'Alergias e intolerancias',
      'Vacunas',
      'Resultados',
      'Signos vitales',
      'Procedimientos',
    ]);
    expect(within(preview).getByRole('heading', { level: 1 }).textContent).toBe(
      'Resumen Internacional del Paciente',
    );
    const allergies = within(preview).getByRole('region', { name: 'Alergias e intolerancias' });
    expect(allergies.textContent).toContain('Sin alergias conocidas');
    const medication = within(preview).getByRole('region', { name: 'Medicación' });
    expect(medication.textContent).toContain('Sin información registrada');
    const results = within(preview).getByRole('region', { name: 'Resultados' });
    expect(within(results).getByRole('columnheader', { name: 'Interpretación' })).toBeTruthy();
    expect(within(results).getByRole('cell', { name: 'Alto' })).toBeTruthy();
    // The clinical text as recorded.
    expect(
      within(preview).getByRole('cell', {
        name: 'Type 2 diabetes mellitus without complications',
      }),
    ).toBeTruthy();
    // Nothing says the labels are missing.
    expect(screen.queryByRole('note')).toBeNull();

    // One printable copy, with the Spanish running header and the identifiers.
    await waitFor(() => expect(portals()).toHaveLength(1));
    const portal = portals()[0]!;
    expect(portal.getAttribute('lang')).toBe('es');
    const header = portal.querySelector('thead')!.textContent!;
    expect(header).toContain('Quintero, Lucía María (Lucy)');
    expect(header).toContain('Fecha de nacimiento');
    expect(header).toContain('3 feb 1961');
    expect(header).toContain('0004821');
    expect(header).toContain('Impreso el');
    expect(portal.querySelector('tbody')!.textContent).toContain('Signos vitales');

    await fireEvent.click(
      screen.getByRole('button', { name: 'Print International Patient Summary' }),
    );
    expect(print).toHaveBeenCalledTimes(1);
    print.mockRestore();
  });

  it('staff can print in another language; the choice changes the page', async () => {
    const preview = await openIpsPrint(practice({ language: 'es' }));
    const picker = screen.getByLabelText('Language of the printed labels') as HTMLSelectElement;
    expect(picker.value).toBe('es');
    await fireEvent.change(picker, { target: { value: 'fr' } });
    await waitFor(() =>
      expect(within(preview).getByRole('heading', { level: 1 }).textContent).toBe(
        'Résumé international du patient',
      ),
    );
    expect(preview.getAttribute('lang')).toBe('fr');
    expect(within(preview).getByRole('heading', { name: 'Vaccinations' })).toBeTruthy();
  });

  it('with no labels for the language, prints in English and says so on screen only', async () => {
    const preview = await openIpsPrint(practice({ language: 'xx' }));
    const notice = await screen.findByRole('note');
    expect(notice.textContent).toBe(
      'Labels in xx are not available; the summary prints in English.',
    );
    expect(within(preview).getByRole('heading', { level: 1 }).textContent).toBe(
      'International Patient Summary',
    );
    expect(
      (screen.getByLabelText('Language of the printed labels') as HTMLSelectElement).value,
    ).toBe('en');
    await waitFor(() => expect(portals()).toHaveLength(1));
    expect(portals()[0]!.textContent).not.toContain('not available');
    expect(preview.textContent).not.toContain('not available');
  });

  it('an Arabic page reads right to left', async () => {
    const preview = await openIpsPrint(practice({ language: 'ar' }));
    expect(preview.getAttribute('dir')).toBe('rtl');
    expect(preview.getAttribute('lang')).toBe('ar');
    await waitFor(() => expect(portals()).toHaveLength(1));
    expect(portals()[0]!.getAttribute('dir')).toBe('rtl');
    expect(within(preview).getByRole('heading', { level: 1 }).textContent).toBe(
      'الملخص الدولي للمريض',
    );
  });

  it("shows the engine's error with Try again", async () => {
    const backend = practice({}).fail('export.ips', 'not_found', 'No such patient.');
    render(Shell, { backend });
    const field = await screen.findByLabelText('Search patients');
    await fireEvent.input(field, { target: { value: 'quintero' } });
    await waitFor(() =>
      expect(screen.getByRole('status').textContent).toContain('1 patient found'),
    );
    await fireEvent.keyDown(field, { key: 'Enter' });
    await screen.findByRole('region', { name: 'Patient banner' });
    await fireEvent.click(screen.getByRole('button', { name: 'Print' }));
    await fireEvent.click(
      await screen.findByRole('radio', { name: /International Patient Summary/ }),
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('No such patient.');
    expect(
      (
        screen.getByRole('button', {
          name: 'Print International Patient Summary',
        }) as HTMLButtonElement
      ).disabled,
    ).toBe(true);
    expect(portals()).toHaveLength(0);

    backend.on('export.ips', () => ({ bundle: ipsBundle({ language: 'it' }) }));
    await fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    const preview = await screen.findByLabelText('Print preview');
    expect(within(preview).getByRole('heading', { level: 1 }).textContent).toBe(
      'Sintesi internazionale del paziente',
    );
  });
});
