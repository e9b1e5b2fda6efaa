// Recording vitals changes the trend plot: the new value is in the plot's table (flagged
// when out of range) and the plot's canvas draws differently than before.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demo, newPage, screenshot, seen, startApp } from '../harness.mjs';
import { api, logIn, openByKeyboard, openSection } from '../flows.mjs';
import { pendingUnless } from '../features.mjs';

describe('vitals and trends', { todo: pendingUnless('vitals', 'ui-records') }, () => {
  let app;
  let page;
  let patient;
  before(async () => {
    app = await startApp({ name: 'vitals' });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.nurse);
    [patient] = await api(page, 'patient.search', { query: 'Moore Andrew' });
    await openByKeyboard(page, patient.mrn, patient.mrn);
  });
  after(async () => app?.stop());

  const heartRate = () =>
    page
      .locator('section.trend')
      .filter({ has: page.getByRole('heading', { name: /^Heart rate/ }) });
  /** The plot's pixels, once uPlot has drawn into its canvas. */
  async function plotPixels() {
    const plot = heartRate().locator('.plot');
    await plot.locator('canvas').first().waitFor();
    return plot.screenshot();
  }

  test(
    'a heart rate recorded in Vitals shows in the Heart rate trend and changes its plot',
    seen(
      () => page,
      async () => {
        await openSection(page, 'Trends');
        const before = await plotPixels();
        await heartRate().getByRole('row').nth(1).waitFor();
        const rowsBefore = await heartRate().getByRole('row').count();

        await openSection(page, 'Vitals');
        const form = page.getByRole('form', { name: 'Record vitals' });
        await form.getByLabel('Heart rate (/min)').fill('142');
        await form.getByLabel('Systolic').fill('128');
        await form.getByLabel('Diastolic').fill('84');
        await screenshot(page, 'vitals-entry');
        const confirm = form.getByLabel(/The values are right/);
        if (await confirm.count()) await confirm.check();
        const saved = page.waitForResponse(
          (r) => /\/api\/observation\./.test(r.url()) && r.request().method() === 'POST',
        );
        await form.getByRole('button', { name: 'Save vitals' }).click();
        assert.equal((await saved).status(), 200, 'the vitals were saved');
        await form
          .getByRole('status')
          .filter({ hasText: /^Saved \d+ measures?\./ })
          .waitFor();

        await openSection(page, 'Trends');
        const newest = heartRate().getByRole('row').nth(1);
        await newest.filter({ hasText: '142' }).waitFor();
        const text = await newest.innerText();
        assert.match(text, /142/, `the newest heart-rate row: ${text}`);
        assert.match(text, /out of range/, `142/min is flagged: ${text}`);
        assert.equal(await heartRate().getByRole('row').count(), rowsBefore + 1, 'one more row');
        const after = await plotPixels();
        assert.ok(!before.equals(after), 'the Heart rate plot drew the same pixels as before');
        await screenshot(page, 'vitals-trends');
        assert.deepEqual(page.errors, [], 'no errors in the page');
      },
    ),
  );
});
