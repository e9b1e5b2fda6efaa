// A smoke run of the real app in Debian's Chromium against `chartkeep serve` on a demo
// practice: log in, find and open a chart with the keyboard, add an allergy and see it in
// the banner, lock (no patient data left on the page), resume to the same chart.
// The full end-to-end suite is a separate job; this only proves the pieces meet.
//
//   CHARTKEEP_BIN=target/release/chartkeep CHARTKEEP_DATA=/tmp/demo \
//   CHARTKEEP_PASSPHRASE=... node ui/e2e/smoke.mjs
// Screenshots go to ui/e2e/artifacts/ (not committed). Playwright gives Chromium a fresh
// temporary profile each run.

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });
const bin = process.env.CHARTKEEP_BIN ?? 'target/release/chartkeep';
const data = process.env.CHARTKEEP_DATA;
if (!data) throw new Error('Set CHARTKEEP_DATA to a demo practice folder');
const user = process.env.E2E_USER ?? 'drlee';
const password = process.env.E2E_PASSWORD ?? 'chartkeep-demo';

function startServe() {
  // E2E_UI_DIR serves a fresh `npm run build` instead of the UI embedded in the binary.
  const uiDir = process.env.E2E_UI_DIR ? ['--ui-dir', process.env.E2E_UI_DIR] : [];
  const child = spawn(bin, ['--data', data, 'serve', '--port', '0', ...uiDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) resolve({ child, url: line.trim() });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`ok - ${what}`);
}

const { child, url } = await startServe();
// Never leave the server running, whatever fails below.
process.on('exit', () => child.kill());
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);

  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.screenshot({ path: join(artifacts, 'login.png') });
  await page.getByRole('button', { name: 'Log in' }).click();

  const search = page.getByLabel('Search patients');
  await search.waitFor();
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('/');
  check(await search.evaluate((el) => el === document.activeElement), '/ focuses the search');
  await page.keyboard.type(process.env.E2E_QUERY ?? 'ga');
  await page.getByRole('option').first().waitFor();
  await page.screenshot({ path: join(artifacts, 'patients.png') });
  const firstName = (await page.getByRole('option').first().locator('.name').textContent()).trim();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');

  const banner = page.getByRole('region', { name: 'Patient banner' });
  await banner.waitFor();
  check(
    (await banner.textContent()).includes(firstName.split(' "')[0]),
    'the banner names the patient',
  );
  await page.screenshot({ path: join(artifacts, 'summary.png') });

  await page
    .getByRole('navigation', { name: 'Chart sections' })
    .getByRole('button', { name: 'Allergies' })
    .click();
  await page.getByRole('button', { name: 'Add allergy' }).click();
  const substance = `Smoketestium ${Date.now() % 10000}`;
  await page.getByLabel('Substance').fill(substance);
  await page.getByLabel('Severity').selectOption('severe');
  await page.getByRole('button', { name: 'Save allergy' }).click();
  await banner.getByText(substance).waitFor();
  check(true, 'a saved allergy shows in the banner without a reload');
  await page.screenshot({ path: join(artifacts, 'allergies.png') });

  await page.getByRole('button', { name: 'Lock' }).click();
  await page.getByRole('heading', { name: 'Locked' }).waitFor();
  const lockedText = await page.locator('body').textContent();
  check(
    !lockedText.includes(substance) && !lockedText.includes(firstName.split(',')[0]),
    'the lock screen shows no patient data',
  );
  await page.screenshot({ path: join(artifacts, 'locked.png') });
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await banner.waitFor();
  check(
    (await page.getByRole('button', { name: 'Allergies' }).getAttribute('aria-current')) === 'page',
    'resume returns to the same section',
  );

  const stored = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).length,
    caches: (await caches.keys()).length,
    title: document.title,
    href: location.href,
  }));
  check(
    stored.local + stored.session + stored.idb + stored.caches === 0,
    'nothing in browser storage',
  );
  check(
    stored.title === 'Chartkeep' && !stored.href.includes('?'),
    'no patient data in title or URL',
  );
  check(errors.length === 0, `no page errors (${errors.join(' | ')})`);
} finally {
  await browser.close();
  child.kill();
}
