// Logging in, and finding and opening a patient with the keyboard alone.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callAs, demo, newPage, screenshot, seen, startApp } from '../harness.mjs';
import { bannerName, logIn, openByKeyboard } from '../flows.mjs';

describe('login and patient search', () => {
  let app;
  let page;
  before(async () => {
    app = await startApp({ name: 'login' });
    page = await newPage(app.context);
  });
  after(async () => app?.stop());

  test(
    'a wrong password shows the engine message and keeps the user name',
    seen(
      () => page,
      async () => {
        await page.goto(app.server.url);
        assert.ok(!page.url().includes('token='), `the token left the URL: ${page.url()}`);
        await page.getByLabel('User name').fill(demo.clinician);
        await page.getByLabel('Password', { exact: true }).fill('not the password');
        await screenshot(page, 'login');
        await page.getByRole('button', { name: 'Log in' }).click();
        const alert = page.getByRole('alert');
        await alert.waitFor();
        const message = (await alert.innerText()).trim();
        assert.ok(message.length > 0, 'the error has a message');
        assert.equal(await page.getByLabel('User name').inputValue(), demo.clinician);
        assert.equal(
          await page.getByLabel('Search patients').count(),
          0,
          'no patient list before login',
        );
      },
    ),
  );

  test(
    'opening the launch URL again (cookie already set) also leaves no token in the address bar',
    // Found by this suite (serve answered 200 to /?token=… once the cookie was set, leaving
    // the token in the address bar and the history); fixed in serve by e3ca16a.
    seen(
      () => page,
      async () => {
        await page.goto(app.server.url);
        assert.ok(!page.url().includes('token='), `the token stayed in the URL: ${page.url()}`);
      },
    ),
  );

  test(
    'logs in with the fields "User name" and "Password"',
    seen(
      () => page,
      async () => {
        await logIn(page, app.server.url, demo.clinician);
        await page.getByText('Dr. Lee').first().waitFor();
      },
    ),
  );

  test(
    'finds and opens a patient with the keyboard alone',
    seen(
      () => page,
      async () => {
        const [target] = callAs(app.data, demo.admin, 'patient.search', { query: 'Allen' });
        assert.ok(target, 'the demo practice has a patient named Allen');
        await page.getByRole('button', { name: 'Patients', exact: true }).focus();
        await page.keyboard.press('/');
        const search = page.getByLabel('Search patients');
        assert.ok(
          await search.evaluate((el) => el === document.activeElement),
          '/ should focus "Search patients"',
        );
        await page.keyboard.type(target.family);
        const options = page.getByRole('listbox', { name: 'Patients found' }).getByRole('option');
        await options.filter({ hasText: target.mrn }).waitFor();
        await screenshot(page, 'patient-list');
        const count = await options.count();
        // Move to the target with the arrows, checking the selection follows.
        let index = -1;
        for (let i = 0; i < count; i++) {
          if ((await options.nth(i).innerText()).includes(target.mrn)) index = i;
        }
        for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
        assert.equal(
          await options.nth(index).getAttribute('aria-selected'),
          'true',
          `after ${index} × ArrowDown the option with MRN ${target.mrn} should be selected`,
        );
        await page.keyboard.press('Enter');
        const banner = page.getByRole('region', { name: 'Patient banner' });
        await banner.waitFor();
        assert.equal(await bannerName(page), target.name);
        assert.ok((await banner.innerText()).includes(target.mrn), 'the banner shows the MRN');
        await page.getByRole('main', { name: 'Summary' }).getByRole('region').first().waitFor();
        await screenshot(page, 'chart-summary');
      },
    ),
  );

  test(
    '/ from a chart goes back to the search, and a second patient opens the same way',
    seen(
      () => page,
      async () => {
        const [other] = callAs(app.data, demo.admin, 'patient.search', { query: 'Banerjee' });
        const { first } = await openByKeyboard(page, other.mrn, other.mrn);
        assert.ok(first.length > 0);
        assert.equal(await bannerName(page), other.name);
        assert.deepEqual(page.errors, [], 'no errors in the page');
      },
    ),
  );
});
