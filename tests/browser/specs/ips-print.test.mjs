// Printing the International Patient Summary from the Print section: for a patient whose
// language is Spanish, the preview shows the engine's IPS with its section titles in
// Spanish, the clinical text as recorded, and the Print button calls window.print(); axe
// finds nothing serious on the screen.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { describeViolations, seriousViolations } from '../a11y.mjs';
import { demo, newPage, screenshot, seen, startApp } from '../harness.mjs';
import { api, logIn, openByKeyboard, openSection } from '../flows.mjs';

describe('printing the International Patient Summary', () => {
  let app;
  let page;
  let patient;
  before(async () => {
    app = await startApp({ name: 'ips-print' });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.clinician);
    [patient] = await api(page, 'patient.search', { query: 'Mehta Aisha' });
    const record = await api(page, 'patient.get', { id: patient.id });
    await api(page, 'patient.update', { id: patient.id, language: 'es', version: record.version });
    await api(page, 'allergy.add', {
      patient: patient.id,
      substance: 'Sulfamethoxazole',
      severity: 'severe',
      category: 'medication',
      reactions: ['Hives'],
    });
  });
  after(async () => app?.stop());

  test(
    "the IPS prints in the patient's language: Spanish section titles, the recorded text, window.print()",
    seen(
      () => page,
      async () => {
        await openByKeyboard(page, patient.mrn, patient.mrn);
        await openSection(page, 'Print');
        await page.evaluate(() => {
          window.__printCalls = 0;
          window.print = () => {
            window.__printCalls += 1;
          };
        });
        await page.getByRole('radio', { name: /International Patient Summary/ }).check();
        const preview = page.getByLabel('Print preview');
        await preview
          .getByRole('heading', { level: 1, name: 'Resumen Internacional del Paciente' })
          .waitFor();
        for (const title of ['Problemas de salud', 'Medicación', 'Alergias e intolerancias']) {
          await preview.getByRole('heading', { level: 2, name: title }).waitFor();
        }
        assert.equal(await preview.getAttribute('lang'), 'es');
        assert.equal(
          await page.getByLabel('Language of the printed labels').inputValue(),
          'es',
          "the picker starts at the patient's language",
        );
        const allergies = preview.getByRole('region', { name: 'Alergias e intolerancias' });
        await allergies.getByRole('cell', { name: 'Sulfamethoxazole' }).waitFor();
        await allergies.getByRole('cell', { name: 'Grave' }).waitFor();
        // Every title the engine's summary has is one of ours: none is left in English.
        const titles = await preview.getByRole('heading', { level: 2 }).allInnerTexts();
        for (const english of ['Problem list', 'Medication summary', 'Allergies and intolerances']) {
          assert.ok(!titles.includes(english), `an English title "${english}" in ${titles}`);
        }
        assert.equal(await page.locator('body > .print-portal').count(), 1, 'one printable copy');
        const violations = await seriousViolations(page);
        assert.deepEqual(violations, [], describeViolations(violations));

        await screenshot(page, 'ips-print-preview');
        await page.getByRole('button', { name: 'Print International Patient Summary' }).click();
        assert.equal(
          await page.evaluate(() => window.__printCalls),
          1,
          'the button called window.print()',
        );
        // What the printer gets: the page alone, with the Spanish running header.
        await page.emulateMedia({ media: 'print' });
        const portal = page.locator('body > .print-portal');
        assert.ok(await portal.isVisible(), 'the printable copy shows when printing');
        const printed = await portal.innerText();
        assert.match(printed, /Fecha de nacimiento/);
        assert.ok(printed.includes(patient.mrn), 'the MRN is on the page');
        await screenshot(page, 'ips-print-paper');
        await page.emulateMedia({ media: 'screen' });
      },
    ),
  );
});
