// Printing the patient summary to PDF (Chromium's own PDF output, as "Save as PDF" gives)
// yields a document whose text holds the patient's name, MRN and allergies, with the
// patient's identifiers on every page and none of the app around it.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  artifactsDir,
  demo,
  newPage,
  pdfText,
  screenshot,
  seen,
  startApp,
  writeArtifact,
} from '../harness.mjs';
import { api, logIn, openByKeyboard, openSection } from '../flows.mjs';

describe('printing the patient summary', () => {
  let app;
  let page;
  let patient;
  const allergies = ['Sulfamethoxazole', 'Peanut'];
  before(async () => {
    app = await startApp({ name: 'print' });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.clinician);
    [patient] = await api(page, 'patient.search', { query: 'Mehta Aisha' });
    await api(page, 'allergy.add', {
      patient: patient.id,
      substance: allergies[0],
      severity: 'severe',
      category: 'medication',
    });
    await api(page, 'allergy.add', {
      patient: patient.id,
      substance: allergies[1],
      severity: 'moderate',
      category: 'food',
    });
  });
  after(async () => app?.stop());

  test(
    "the Print section's button prints; the PDF holds the name, MRN and allergies, the MRN on every page",
    seen(
      () => page,
      async () => {
        await openByKeyboard(page, patient.mrn, patient.mrn);
        await openSection(page, 'Print');
        // window.print() opens the print dialog: the test counts the call, then prints the
        // same page through Chromium's PDF output.
        await page.evaluate(() => {
          window.__printCalls = 0;
          window.print = () => {
            window.__printCalls += 1;
          };
        });
        await page.getByLabel('Print preview').getByText(allergies[0]).first().waitFor();
        await page.getByRole('button', { name: 'Print patient summary' }).click();
        assert.equal(
          await page.evaluate(() => window.__printCalls),
          1,
          'the button called window.print()',
        );
        await screenshot(page, 'print-preview');
        const pdf = await page.pdf({ format: 'A4', printBackground: true });
        writeFileSync(join(artifactsDir, 'summary.pdf'), pdf);
        assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'Chromium wrote a PDF');
        const text = pdfText(pdf);
        writeArtifact('summary.pdf.txt', text);
        const flat = text.replace(/\s+/g, ' ');
        const wanted = [patient.family, ...patient.given, patient.mrn, ...allergies];
        const missing = wanted.filter((w) => !flat.includes(w));
        assert.deepEqual(
          missing,
          [],
          `missing from the PDF's text: ${missing}\n--- the text ---\n${text}`,
        );
        const pages = text.split('\f').filter((p) => p.trim());
        const without = pages
          .map((p, i) => (p.includes(patient.mrn) ? null : i + 1))
          .filter(Boolean);
        assert.deepEqual(without, [], `pages without the MRN (of ${pages.length}):\n${text}`);
        for (const chrome of ['Switch user', 'Search patients', 'Print preview']) {
          assert.ok(!flat.includes(chrome), `the printout holds the app's "${chrome}":\n${text}`);
        }
      },
    ),
  );
});
