// Printing the patient summary to PDF (Chromium's own PDF output, as "Save as PDF" gives)
// yields a document whose text holds the patient's name, MRN and allergies.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactsDir, demo, newPage, seen, startApp, writeArtifact } from '../harness.mjs';
import { api, logIn, openByKeyboard } from '../flows.mjs';

/** The PDF's text as poppler's pdftotext reads it. */
function pdfText(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'ck-pdf-'));
  try {
    const file = join(dir, 'summary.pdf');
    writeFileSync(file, bytes);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
    await api(page, 'allergy.add', { patient: patient.id, substance: allergies[0], severity: 'severe', category: 'medication' });
    await api(page, 'allergy.add', { patient: patient.id, substance: allergies[1], severity: 'moderate', category: 'food' });
  });
  after(async () => app?.stop());

  test(
    "the PDF's text holds the patient's name, MRN and allergies",
    seen(() => page, async () => {
      await openByKeyboard(page, patient.mrn, patient.mrn);
      const summary = page.getByRole('main', { name: 'Summary' });
      await summary.getByText(allergies[0]).waitFor();
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      await page.emulateMedia({ media: 'screen' });
      writeFileSync(join(artifactsDir, 'summary.pdf'), pdf);
      assert.equal(pdf.subarray(0, 5).toString(), '%PDF-', 'Chromium wrote a PDF');
      const text = pdfText(pdf);
      writeArtifact('summary.pdf.txt', text);
      const flat = text.replace(/\s+/g, ' ');
      const wanted = [patient.family, ...patient.given, patient.mrn, ...allergies];
      const missing = wanted.filter((w) => !flat.includes(w));
      assert.deepEqual(missing, [], `missing from the PDF's text: ${missing}\n--- the text ---\n${text}`);
    }),
  );
});
