// Adding an allergy shows it in the patient banner; an allergy entered in error stays in
// the list struck through with its reason, and its history says who retracted it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callAs, demo, newPage, screenshot, seen, startApp } from '../harness.mjs';
import { logIn, openByKeyboard, openSection } from '../flows.mjs';

describe('allergies', () => {
  let app;
  let page;
  let patient;
  const substance = 'Penicillin G';
  const reason = 'Recorded on the wrong chart';
  before(async () => {
    app = await startApp({ name: 'allergies' });
    page = await newPage(app.context);
    [patient] = callAs(app.data, demo.admin, 'patient.search', { query: 'Allen Amelia' });
    await logIn(page, app.server.url, demo.clinician);
    await openByKeyboard(page, patient.mrn, patient.mrn);
  });
  after(async () => app?.stop());

  test(
    'a saved allergy shows in the patient banner with its severity, without a reload',
    seen(
      () => page,
      async () => {
        const banner = page.getByRole('region', { name: 'Patient banner' });
        assert.ok(
          !(await banner.innerText()).includes(substance),
          'the banner must not list the allergy before it is added',
        );
        await openSection(page, 'Allergies');
        let reloaded = false;
        page.once('framenavigated', (f) => f === page.mainFrame() && (reloaded = true));
        await page.getByRole('button', { name: 'Add allergy' }).click();
        const form = page.getByRole('form', { name: 'Add an allergy' });
        await form.getByLabel('Substance').fill(substance);
        await form.getByLabel('Severity').selectOption('severe');
        await form.getByLabel('Category').selectOption('medication');
        await screenshot(page, 'allergy-form');
        const saved = page.waitForResponse((r) => r.url().endsWith('/api/allergy.add'));
        await form.getByRole('button', { name: 'Save allergy' }).click();
        assert.equal((await saved).status(), 200, 'allergy.add answered 200');
        await banner.getByText(substance).waitFor();
        const text = await banner.innerText();
        assert.match(text, /severe/i, `the banner shows the severity; it showed:\n${text}`);
        assert.equal(reloaded, false, 'the page did not reload');
        await screenshot(page, 'allergies');
      },
    ),
  );

  test(
    'an allergy entered in error stays, struck through with its reason, and shows in its history',
    seen(
      () => page,
      async () => {
        const row = page.getByRole('row').filter({ hasText: substance });
        await row.getByRole('button', { name: `Mark ${substance} entered in error` }).click();
        const form = page.getByRole('form', { name: /entered in error/ });
        await form.getByLabel(/Why was .* entered in error\?/).fill(reason);
        const done = page.waitForResponse((r) => r.url().endsWith('/api/allergy.retract'));
        await form.getByRole('button', { name: 'Mark entered in error' }).click();
        assert.equal((await done).status(), 200, 'allergy.retract answered 200');

        const struck = row.getByText(substance, { exact: true });
        await row.getByText(`Entered in error: ${reason}`).waitFor();
        const decoration = await struck.evaluate((el) => getComputedStyle(el).textDecorationLine);
        assert.match(
          decoration,
          /line-through/,
          `the substance is struck through (was "${decoration}")`,
        );
        const banner = page.getByRole('region', { name: 'Patient banner' });
        await banner.getByText(substance).waitFor({ state: 'detached' });

        await row.getByRole('button', { name: `History of ${substance}` }).click();
        const history = page.getByRole('region', { name: `History of ${substance}` });
        await history.getByRole('row').filter({ hasText: 'Entered in error' }).waitFor();
        const text = await history.innerText();
        assert.match(text, /Dr\. Lee|drlee/, `the history names who did it:\n${text}`);
        assert.ok(text.includes('Created'), `the history keeps the creation:\n${text}`);
        assert.ok(text.includes(reason), `the history holds the reason:\n${text}`);
        await screenshot(page, 'allergy-history');
        assert.deepEqual(page.errors, [], 'no errors in the page');
      },
    ),
  );
});
