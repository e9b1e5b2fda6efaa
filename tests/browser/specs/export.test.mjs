// Exporting a chart from the Export section: the patient summary (IPS) saved to a file is a
// FHIR document whose Composition lists the allergy entered a moment ago; the whole record
// downloads as a FHIR Bundle; an existing file is never overwritten; both are in the access
// log as exports.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callAs, demo, newPage, screenshot, seen, startApp } from '../harness.mjs';
import { api, logIn, openByKeyboard, openSection } from '../flows.mjs';

describe('exporting a chart', () => {
  let app;
  let page;
  let patient;
  before(async () => {
    app = await startApp({ name: 'export', downloads: true });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.clinician);
    [patient] = await api(page, 'patient.search', { query: 'Mehta Aisha' });
    await api(page, 'allergy.add', {
      patient: patient.id,
      substance: 'Sulfamethoxazole',
      severity: 'severe',
      category: 'medication',
    });
  });
  after(async () => app?.stop());

  test(
    'the patient summary saves as an IPS document; the whole record downloads as a FHIR Bundle',
    seen(
      () => page,
      async () => {
        await openByKeyboard(page, patient.mrn, patient.mrn);
        await openSection(page, 'Export');
        const file = join(app.data, '..', 'summary.json');
        await page.getByLabel('File (full path on this computer)').fill(file);
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await page.getByRole('status').getByText('Saved').waitFor();
        await screenshot(page, 'export-saved');
        const ips = JSON.parse(readFileSync(file, 'utf8'));
        assert.equal(ips.type, 'document');
        const composition = ips.entry[0].resource;
        assert.equal(composition.resourceType, 'Composition');
        assert.equal(composition.type.coding[0].code, '60591-5');
        const allergies = composition.section.find((s) => s.code.coding[0].code === '48765-2');
        assert.match(allergies.text.div, /Sulfamethoxazole/);

        // The same file again is refused with a reason, and left as it was.
        const before = readFileSync(file, 'utf8');
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await page.getByRole('alert').getByText('exists').waitFor();
        await screenshot(page, 'export-file-exists');
        assert.equal(readFileSync(file, 'utf8'), before);

        // The whole record, downloaded (a browser has no save dialog).
        await page.getByLabel(/Whole record/).check();
        const [download] = await Promise.all([
          page.waitForEvent('download'),
          page.getByRole('button', { name: 'Download' }).click(),
        ]);
        const saved = join(app.data, '..', 'record.json');
        await download.saveAs(saved);
        assert.ok(existsSync(saved));
        assert.match(download.suggestedFilename(), new RegExp(`^${patient.mrn}-fhir-record-`));
        const bundle = JSON.parse(readFileSync(saved, 'utf8'));
        assert.equal(bundle.resourceType, 'Bundle');
        assert.equal(bundle.type, 'collection');
        const kinds = new Set(bundle.entry.map((e) => e.resource.resourceType));
        for (const k of ['Patient', 'AllergyIntolerance', 'Provenance']) assert.ok(kinds.has(k), k);

        const log = callAs(app.data, demo.admin, 'audit.report', {
          from: '2000-01-01',
          to: '2100-01-01',
          patient: patient.id,
          action: 'export',
        });
        const details = log.map((e) => e.detail);
        assert.ok(
          details.some((d) => d.includes('International Patient Summary')),
          details.join('\n'),
        );
        assert.ok(
          details.some((d) => d.includes('FHIR R4 Bundle')),
          details.join('\n'),
        );
      },
    ),
  );
});
