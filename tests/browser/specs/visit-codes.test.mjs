// A visit's code as a clinician gives it, against a real engine with the eCQM value sets
// imported: the Start visit form offers the coded kinds (by keyboard too) and the visit is
// saved with its code; the Encounters form searches the codes, fills the kind in words,
// and a code with a wrong check digit is refused with the engine's own message.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  copyDemoPractice,
  demo,
  ecqm,
  importValueSets,
  newPage,
  screenshot,
  seen,
  startApp,
} from '../harness.mjs';
import { api, logIn, openByKeyboard, openSection } from '../flows.mjs';

const skip = ecqm.present ? undefined : `skipping visit codes: ${ecqm.valueSets} not found`;

describe('visit codes', { skip }, () => {
  let app;
  let page;
  let patient;
  const work = mkdtempSync(join(tmpdir(), 'ck-browser-visit-codes-template-'));
  before(async () => {
    const template = join(work, 'practice');
    copyDemoPractice(template);
    importValueSets(template);
    app = await startApp({ name: 'visit-codes', template });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.clinician);
    [patient] = await api(page, 'patient.search', { query: 'Moore Andrew' });
    await openByKeyboard(page, patient.mrn, patient.mrn);
  });
  after(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test(
    'a visit started with a coded kind is saved with its code',
    seen(
      () => page,
      async () => {
        await openSection(page, 'Visits and notes');
        await page.getByRole('button', { name: 'Start visit' }).click();
        const form = page.getByRole('form', { name: 'Start a visit' });
        const code = form.getByLabel('Visit code');
        await code
          .locator('option', { hasText: 'Annual wellness visit (SNOMED CT 444971000124105)' })
          .waitFor({ state: 'attached' });
        // The code follows the kind of visit in the keyboard's order.
        await form.getByLabel('Kind of visit').focus();
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'visit-code');
        await code.selectOption({ label: 'Annual wellness visit (SNOMED CT 444971000124105)' });
        assert.equal(await form.getByLabel('Kind of visit').inputValue(), 'Annual wellness visit');
        await form.getByLabel('Reason for the visit').fill('Yearly check');
        await screenshot(page, 'visit-start-coded');
        const added = page.waitForResponse((r) => r.url().endsWith('/api/encounter.add'));
        await form.getByRole('button', { name: 'Start visit and note' }).click();
        assert.equal((await added).status(), 200);
        const visits = await api(page, 'encounter.list', { patient: patient.id });
        const mine = visits.find((v) => v.reason === 'Yearly check');
        assert.equal(mine?.type_code, '444971000124105', JSON.stringify(mine));
      },
    ),
  );

  test(
    'the Encounters form searches the codes, and a wrong one is refused with the reason',
    seen(
      () => page,
      async () => {
        await openSection(page, 'Encounters');
        await page.getByRole('button', { name: 'Add encounter' }).click();
        const code = page.getByRole('combobox', { name: 'Visit code' });
        await code.pressSequentially('wellness');
        await page.getByRole('option', { name: /444971000124105/ }).waitFor();
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
        assert.equal(await page.getByLabel('Type of visit').inputValue(), 'Annual wellness visit');
        await screenshot(page, 'encounter-visit-code');

        await code.fill('444971000124106');
        await page.getByRole('button', { name: 'Save encounter' }).click();
        const alert = page.getByRole('alert').filter({ hasText: 'check digit' });
        await alert.waitFor();
        assert.match(await alert.innerText(), /^Visit code: '444971000124106' is not a SNOMED CT concept id/);
        await screenshot(page, 'encounter-visit-code-refused');
      },
    ),
  );
});
