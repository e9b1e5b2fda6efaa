// The steps a user takes that many tests share: log in, find a patient with the keyboard,
// go to a chart section. Locators are by role and label, the way a screen reader finds
// them, so a test breaks when the UI stops being usable that way.

import assert from 'node:assert/strict';
import { demo } from './harness.mjs';

/** Logs in through the form whose fields are labelled "User name" and "Password". */
export async function logIn(page, url, user, password = demo.password) {
  // The launch URL (with its token) once; after that the cookie is set and / is the app.
  const origin = new URL(url).origin;
  await page.goto(page.url().startsWith(origin) ? `${origin}/` : url);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByLabel('Search patients').waitFor();
}

/**
 * Finds a patient by typing into the search (after `/` focuses it) and opens the first
 * hit with Down, Up, Enter: the keyboard alone. `expect` is text the first hit must hold
 * (e.g. the MRN), so that Enter is not pressed on the previous query's list.
 */
export async function openByKeyboard(page, query, expect = query) {
  // Focus somewhere that is not a field, so `/` is a command and not a character.
  await page.locator('body').press('Escape');
  await page.evaluate(
    () => document.activeElement instanceof HTMLElement && document.activeElement.blur(),
  );
  await page.keyboard.press('/');
  const search = page.getByLabel('Search patients');
  const focused = await search.evaluate((el) => el === document.activeElement);
  assert.ok(focused, '/ should focus the "Search patients" field');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(query);
  const options = page.getByRole('listbox', { name: 'Patients found' }).getByRole('option');
  await options.first().filter({ hasText: expect }).waitFor();
  const first = (await options.first().innerText()).split('\n')[0].trim();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  const banner = page.getByRole('region', { name: 'Patient banner' });
  await banner.waitFor();
  return { banner, first };
}

/** Opens one of the chart's sections from its section nav. */
export async function openSection(page, label) {
  await page
    .getByRole('navigation', { name: 'Chart sections' })
    .getByRole('button', { name: label, exact: true })
    .click();
  await page.getByRole('main', { name: label }).waitFor();
}

/** The patient's name as the banner's heading shows it ("Family, Given"). */
export async function bannerName(page) {
  const banner = page.getByRole('region', { name: 'Patient banner' });
  return (await banner.getByRole('heading').first().innerText()).trim();
}

/** Demo patients straight from the engine (as the admin), for the tests' own expectations. */
export function patientParts(hit) {
  const family = hit.family ?? hit.name?.family ?? '';
  const given = hit.given ?? hit.name?.given ?? '';
  return { family, given: Array.isArray(given) ? given.join(' ') : given, mrn: hit.mrn };
}

/**
 * Calls the API from inside the page, as the logged-in user (the session cookie), the way
 * the UI does: for a test's setup that should not go through another process.
 */
export async function api(page, command, args = {}) {
  const answer = await page.evaluate(
    async ([c, a]) => {
      const r = await fetch(`/api/${c}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify(a),
      });
      return { status: r.status, body: await r.json() };
    },
    [command, args],
  );
  if (answer.status !== 200) {
    throw new Error(`${command} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}
