// The idle lock: after the session's idle minutes the whole screen is replaced by a lock
// screen with nothing of the patient left in the DOM, the engine refuses chart commands,
// and the same user's password returns to the same patient and section. Time is moved
// with Playwright's clock, never slept.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { callAs, demo, newPage, screenshot, seen, startApp } from '../harness.mjs';
import { logIn, openByKeyboard, openSection } from '../flows.mjs';

/** Every string of the patient that must not survive a lock. */
function patientStrings(p) {
  return [p.family, ...p.given, p.mrn, p.birth_date, ...p.phones].filter((s) => s && s.length > 2);
}

/** Which of `needles` appear anywhere in the page: text, attributes, title or URL. */
async function leaks(page, needles) {
  const dom = await page.evaluate(() => ({
    html: document.documentElement.outerHTML,
    title: document.title,
    url: location.href,
  }));
  const hay = `${dom.html}\n${dom.title}\n${dom.url}`;
  return needles.filter((n) => hay.includes(n));
}

describe('idle lock', () => {
  let app;
  let page;
  let patient;
  let minutes;
  before(async () => {
    app = await startApp({ name: 'lock' });
    page = await newPage(app.context);
    await page.clock.install();
    [patient] = callAs(app.data, demo.admin, 'patient.search', { query: 'Banerjee Arjun' });
    await logIn(page, app.server.url, demo.clinician);
    const status = await page.evaluate(() =>
      fetch('/api/app.status', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }).then((r) => r.json()),
    );
    minutes = status.session.idle_lock_minutes;
    assert.ok(minutes > 0, `the session has an idle lock (idle_lock_minutes = ${minutes})`);
    await openByKeyboard(page, patient.mrn, patient.mrn);
    await openSection(page, 'Allergies');
  });
  after(async () => app?.stop());

  test(
    'activity keeps the session open past the idle limit',
    seen(
      () => page,
      async () => {
        await page.clock.fastForward(Math.round(minutes * 0.6 * 60_000));
        await page.mouse.move(400, 300);
        await page.keyboard.press('Shift');
        await page.clock.fastForward(Math.round(minutes * 0.6 * 60_000));
        await page.getByRole('region', { name: 'Patient banner' }).waitFor();
        assert.equal(
          await page.getByRole('heading', { name: 'Locked' }).count(),
          0,
          'not locked yet',
        );
      },
    ),
  );

  test(
    'idle past the limit locks: the patient is gone from the DOM and the engine refuses the chart',
    seen(
      () => page,
      async () => {
        const before = await leaks(page, patientStrings(patient));
        assert.ok(
          before.length > 0,
          'the chart showed the patient before the lock (a check that can fail)',
        );
        const locked = page.waitForResponse((r) => r.url().endsWith('/api/app.lock'));
        await page.clock.fastForward(minutes * 60_000 + 1_000);
        assert.equal((await locked).status(), 200, 'app.lock was called and answered 200');
        await page.getByRole('heading', { name: 'Locked' }).waitFor();
        const found = await leaks(page, patientStrings(patient));
        assert.deepEqual(
          found,
          [],
          `patient data left in the DOM while locked: ${found.join(', ')}`,
        );
        await screenshot(page, 'locked');
        const answer = await page.evaluate(async (id) => {
          const r = await fetch('/api/chart.summary', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ patient: id }),
          });
          return { status: r.status, body: await r.json() };
        }, patient.id);
        assert.notEqual(
          answer.status,
          200,
          `the engine still answered chart.summary: ${JSON.stringify(answer)}`,
        );
        assert.equal(
          answer.body.code,
          'session_locked',
          `locked session code: ${JSON.stringify(answer)}`,
        );
      },
    ),
  );

  test(
    'a wrong password keeps it locked; the right one resumes on the same patient and section',
    seen(
      () => page,
      async () => {
        await page.getByLabel('Password').fill('not the password');
        await page.getByRole('button', { name: 'Unlock' }).click();
        await page.getByRole('alert').waitFor();
        assert.deepEqual(
          await leaks(page, patientStrings(patient)),
          [],
          'still nothing of the patient',
        );
        await page.getByLabel('Password').fill(demo.password);
        await page.getByRole('button', { name: 'Unlock' }).click();
        const banner = page.getByRole('region', { name: 'Patient banner' });
        await banner.waitFor();
        assert.ok((await banner.innerText()).includes(patient.mrn), 'the same patient is open');
        await page.getByRole('main', { name: 'Allergies' }).waitFor();
        const current = await page
          .getByRole('navigation', { name: 'Chart sections' })
          .getByRole('button', { name: 'Allergies', exact: true })
          .getAttribute('aria-current');
        assert.equal(current, 'page', 'the Allergies section is current again');
      },
    ),
  );

  test(
    'the Lock button locks at once',
    seen(
      () => page,
      async () => {
        await page.getByRole('button', { name: 'Lock', exact: true }).click();
        await page.getByRole('heading', { name: 'Locked' }).waitFor();
        assert.deepEqual(await leaks(page, patientStrings(patient)), []);
        await page.getByLabel('Password').fill(demo.password);
        await page.getByRole('button', { name: 'Unlock' }).click();
        await page.getByRole('region', { name: 'Patient banner' }).waitFor();
        assert.deepEqual(page.errors, [], 'no errors in the page');
      },
    ),
  );
});
