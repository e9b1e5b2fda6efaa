// Importing records from the Import page: a FHIR Bundle chosen with the file picker lands
// on a new chart (its result in the chart, its Claim in Other imported records); the same
// file again adds nothing; a namesake already here waits until a person says who it is; a
// C-CDA document a patient brings lands its entries in the chart and reads as a document.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { newPage, screenshot, seen, startApp, demo } from '../harness.mjs';
import { api, logIn, openByKeyboard, openSection } from '../flows.mjs';

const patientId = '7d3f6a52-1c2e-4b8a-9f00-0000000000a1';

function bundle() {
  const subject = { reference: `urn:uuid:${patientId}` };
  const resources = [
    {
      resourceType: 'Patient',
      id: patientId,
      name: [{ family: 'Quintero', given: ['Lucía'] }],
      gender: 'female',
      birthDate: '1961-02-03',
    },
    {
      resourceType: 'Observation',
      id: '7d3f6a52-1c2e-4b8a-9f00-0000000000a2',
      status: 'final',
      category: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/observation-category',
              code: 'laboratory',
            },
          ],
        },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c' }] },
      subject,
      effectiveDateTime: '2024-03-04T09:00:00Z',
      valueQuantity: { value: 7.9, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    },
    {
      resourceType: 'Claim',
      id: '7d3f6a52-1c2e-4b8a-9f00-0000000000a3',
      status: 'active',
      type: { coding: [{ code: 'professional' }], text: 'Professional claim' },
      use: 'claim',
      patient: subject,
      created: '2024-03-04',
      provider: { display: 'Valley Clinic' },
      priority: { coding: [{ code: 'normal' }] },
      insurance: [{ sequence: 1, focal: true, coverage: { display: 'Medicaid' } }],
    },
  ];
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: r })),
  };
}

describe('importing records', () => {
  let app;
  let page;
  let file;
  before(async () => {
    app = await startApp({ name: 'import' });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.clinician);
    file = join(app.data, '..', 'quintero.json');
    writeFileSync(file, JSON.stringify(bundle()));
  });
  after(async () => app?.stop());

  test(
    'a Bundle lands on a new chart, the Claim kept; the same file again adds nothing',
    seen(
      () => page,
      async () => {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Import' }).click();
        await page.getByRole('heading', { name: 'Import records' }).waitFor();
        await page.locator('#import-files').setInputFiles(file);
        await page.getByText('1 patient registered').waitFor();
        await screenshot(page, 'import-report');
        const [found] = await api(page, 'patient.search', { query: 'Quintero' });
        assert.equal(found.id, patientId);
        const labs = await api(page, 'observation.list', { patient: patientId });
        assert.equal(labs.length, 1);
        assert.equal(labs[0].value_num, 7.9);

        await openByKeyboard(page, 'Quintero', 'Quintero');
        await openSection(page, 'Other imported records');
        const section = page.getByRole('main', { name: 'Other imported records' });
        await section.getByText('Claim').first().waitFor();
        await screenshot(page, 'import-other-records');

        // Back on the Import page, the report outlived the visit to the chart.
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Import' }).click();
        await page.getByText('1 patient registered').waitFor();
        // The same file again: nothing new.
        await page.getByRole('button', { name: 'Done' }).click();
        await page.locator('#import-files').setInputFiles(file);
        await page.getByText('0 patients registered').waitFor();
        await page.getByText('1 unchanged').waitFor();
        assert.equal((await api(page, 'observation.list', { patient: patientId })).length, 1);
      },
    ),
  );

  test(
    'a namesake already here waits, and is added to that chart when a person says so',
    seen(
      () => page,
      async () => {
        const here = await api(page, 'patient.create', {
          family: 'Okafor',
          given: ['Chidi'],
          birth_date: '1977-07-07',
          sex: 'male',
        });
        const other = bundle();
        other.entry[0].resource.name = [{ family: 'Okafor', given: ['Chidi'] }];
        other.entry[0].resource.birthDate = '1977-07-07';
        for (const e of other.entry) {
          e.resource.id = e.resource.id.replace('a', 'b');
          e.fullUrl = `urn:uuid:${e.resource.id}`;
        }
        const newId = other.entry[0].resource.id;
        for (const e of other.entry.slice(1)) {
          const ref = { reference: `urn:uuid:${newId}` };
          if (e.resource.subject) e.resource.subject = ref;
          if (e.resource.patient) e.resource.patient = ref;
        }
        const okafor = join(app.data, '..', 'okafor.json');
        writeFileSync(okafor, JSON.stringify(other));
        const done = page.getByRole('button', { name: 'Done' });
        if (await done.isVisible()) await done.click();
        await page.locator('#import-files').setInputFiles(okafor);
        const waiting = page.getByRole('group', { name: /^Waiting: Okafor/ });
        await waiting.waitFor();
        await screenshot(page, 'import-waiting');
        assert.equal((await api(page, 'observation.list', { patient: here.id })).length, 0);
        await waiting.getByRole('button', { name: /^Same person as/ }).click();
        await waiting.waitFor({ state: 'detached' });
        assert.equal((await api(page, 'observation.list', { patient: here.id })).length, 1);
        const all = await api(page, 'patient.search', { query: 'Okafor' });
        assert.equal(all.length, 1);
      },
    ),
  );

  test(
    'a CCD a patient brings fills the chart, and the document itself reads as text',
    seen(
      () => page,
      async () => {
        const ccd = join(
          dirname(fileURLToPath(import.meta.url)),
          '../../data/ccda/ccd-1.xml',
        );
        const done = page.getByRole('button', { name: 'Done' });
        if (await done.isVisible()) await done.click();
        await page.locator('#import-files').setInputFiles(ccd);
        await page.getByText('1 patient registered').waitFor();
        const [eve] = await api(page, 'patient.search', { query: 'Betterhalf' });
        assert.ok(eve, 'the CCD registered its patient');
        const problems = await api(page, 'problem.list', { patient: eve.id });
        assert.deepEqual(
          problems.map((p) => p.display).sort(),
          ['Angina', 'Chest pain', 'Pneumonia'],
        );

        await openByKeyboard(page, 'Betterhalf', 'Betterhalf');
        await openSection(page, 'Documents');
        const docs = page.getByRole('main', { name: 'Documents' });
        await docs.getByRole('button', { name: 'View Patient Chart Summary' }).click();
        const view = page.getByRole('article', { name: 'Patient Chart Summary' });
        await view.waitFor();
        const allergies = view.getByRole('region', { name: 'ALLERGIES AND ADVERSE REACTIONS' });
        await allergies.getByRole('cell', { name: /Penicillin/i }).first().waitFor();
        assert.equal(await page.locator('iframe').count(), 0, 'the XML is never framed');
        await screenshot(page, 'import-ccda-document');
      },
    ),
  );

  test(
    'a lab file sent from the Import page waits in Unmatched results when no chart matches',
    seen(
      () => page,
      async () => {
        const lab = join(
          dirname(fileURLToPath(import.meta.url)),
          '../../data/hl7v2/nist-oru-r01-2.5.1-case1.hl7',
        );
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Import' }).click();
        const done = page.getByRole('button', { name: 'Done' });
        if (await done.isVisible()) await done.click();
        await page.locator('#import-files').setInputFiles(lab);
        const list = page.getByRole('list', { name: /^Lab messages in / });
        await list.getByText(/NIST-100929110701660: waiting in Unmatched results/).waitFor();
        // A lab file alone registers no patients: no FHIR totals are shown for it.
        assert.equal(await page.getByText(/patients? registered/).count(), 0);
        await screenshot(page, 'import-lab-file');
        const held = await api(page, 'hl7.unmatched', {});
        assert.ok(
          held.some((m) => m.control_id === 'NIST-100929110701660'),
          'the message waits in the queue',
        );
        await page
          .getByRole('navigation', { name: 'Main' })
          .getByRole('button', { name: 'Unmatched results' })
          .click();
        await page.getByText('NIST-100929110701660', { exact: false }).first().waitFor();
        await screenshot(page, 'import-lab-unmatched');
      },
    ),
  );
});
