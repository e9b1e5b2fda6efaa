// A smoke run of the notes, timeline, documents, print and administration screens in
// Debian's Chromium against a running `chartkeep serve` on a demo practice (URL in CK_URL):
// a draft survives a reload, signing, amending, timeline, an image attached and viewed, a
// file over the limit refused, printing to PDF, the admin screens and the CSV export.
// Screenshots and PDFs go to CK_SHOTS (default /tmp).
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.env.CK_URL;
const out = process.env.CK_SHOTS ?? '/tmp';
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
const errors = [];
function check(cond, what) {
  console.log(`${cond ? 'ok' : 'NOT OK'} - ${what}`);
  if (!cond) errors.push(what);
}
/** The app holds one session: switch user first when someone is still logged in. */
async function login(page, user) {
  await page.goto(url);
  await page
    .getByLabel(/User name|Search patients/)
    .first()
    .waitFor();
  if (await page.getByRole('button', { name: 'Switch user' }).count()) {
    await page.getByRole('button', { name: 'Switch user' }).click();
  }
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill('chartkeep-demo');
  await page.getByRole('button', { name: 'Log in' }).click();
}
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && console.log('console:', m.text()));
  await login(page, 'drlee');
  await page.getByLabel('Search patients').fill('a');
  await page.waitForTimeout(600);
  await page.getByLabel('Search patients').press('Enter');
  await page.getByRole('region', { name: 'Patient banner' }).waitFor();
  await page.getByRole('button', { name: 'Visits and notes' }).click();
  await page.getByRole('heading', { name: 'Visits and notes' }).waitFor();
  await page.screenshot({ path: `${out}/notes-list.png` });

  await page.getByRole('button', { name: 'Start visit' }).click();
  await page.getByLabel('Reason for the visit').fill('Cough');
  await page.getByRole('button', { name: 'Start visit and note' }).click();
  await page.getByLabel('Template').selectOption('follow-up');
  await page.getByLabel('Subjective').click();
  await page.getByLabel('Subjective').press('End');
  await page.getByLabel('Subjective').pressSequentially(' Cough for 3 days.');
  await page.getByRole('button', { name: 'Latest vitals' }).click();
  await page
    .getByText(/^\s*Saved \d/)
    .first()
    .waitFor({ timeout: 5000 });
  await page.screenshot({ path: `${out}/notes-draft.png` });

  // A reload (as after a crash) finds the draft in the ledger.
  await page.reload();
  await page
    .getByLabel(/User name|Search patients/)
    .first()
    .waitFor();
  if (await page.getByLabel('User name').count()) {
    await page.getByLabel('User name').fill('drlee');
    await page.getByLabel('Password').fill('chartkeep-demo');
    await page.getByRole('button', { name: 'Log in' }).click();
  }
  await page.getByLabel('Search patients').fill('a');
  await page.waitForTimeout(600);
  await page.getByLabel('Search patients').press('Enter');
  await page.getByRole('button', { name: 'Visits and notes' }).click();
  await page
    .getByRole('button', { name: /Follow-up visit\s*Draft/ })
    .first()
    .click();
  const subj = await page.getByLabel('Subjective').inputValue();
  check(subj.includes('Cough for 3 days.'), 'the draft survives a reload');

  await page.getByRole('button', { name: 'Sign note' }).click();
  await page
    .getByText(/Signed by drlee/)
    .first()
    .waitFor();
  check((await page.getByLabel('Subjective').count()) === 0, 'signed note is read-only');
  await page.getByRole('button', { name: 'Amend' }).click();
  await page.getByLabel('Reason for the amendment').fill('duration was wrong');
  await page.getByLabel('Correction').fill('Cough for 4 days, not 3.');
  await page.getByRole('button', { name: 'Save amendment' }).click();
  await page.getByText('Cough for 4 days, not 3.').first().waitFor();
  await page.getByRole('button', { name: 'Add addendum' }).click();
  await page.getByLabel('Addendum text').fill('Called back: improving.');
  await page.getByRole('button', { name: 'Save addendum' }).click();
  await page.getByText('Called back: improving.').first().waitFor();
  await page.screenshot({ path: `${out}/notes-signed.png`, fullPage: true });
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: `${out}/visit-summary.pdf`, format: 'A4' });
  await page.emulateMedia({ media: 'screen' });

  await page.getByRole('button', { name: 'Timeline' }).click();
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await page.screenshot({ path: `${out}/timeline.png` });
  await page.getByLabel('Note', { exact: true }).check();
  await page.screenshot({ path: `${out}/timeline-notes.png` });
  await page.locator('ol.timeline button').first().click();
  await page.getByRole('article').first().waitFor();
  check(true, 'a timeline note opens in Visits and notes');

  await page.getByRole('button', { name: 'Documents' }).click();
  await page.getByRole('heading', { name: 'Documents' }).waitFor();
  await page.setInputFiles('#document-file', '/usr/share/gitweb/static/git-logo.png');
  await page
    .getByRole('button', { name: /View git-logo.png/ })
    .first()
    .waitFor();
  await page
    .getByRole('button', { name: /View git-logo.png/ })
    .first()
    .click();
  await page.locator('.viewer img').waitFor();
  const src = await page.locator('.viewer img').getAttribute('src');
  check(src?.startsWith('blob:'), 'image shown from a blob: URL');
  await page.screenshot({ path: `${out}/documents.png` });
  await page.setInputFiles('#document-file', `${out}/visit-summary.pdf`);
  await page
    .getByRole('button', { name: /View visit-summary.pdf/ })
    .first()
    .click();
  const frame = page.locator('.viewer iframe');
  await frame.waitFor();
  check((await frame.getAttribute('src'))?.startsWith('blob:'), 'PDF shown from a blob: URL');
  await page.screenshot({ path: `${out}/documents-pdf.png` });
  await page.getByRole('button', { name: 'Close document' }).click();
  const big = Buffer.alloc(30 * 1024 * 1024, 0);
  Buffer.from('%PDF-1.4\n').copy(big);
  writeFileSync('/tmp/ck-big.pdf', big);
  await page.setInputFiles('#document-file', '/tmp/ck-big.pdf');
  await page.getByRole('alert').first().waitFor({ timeout: 20000 });
  console.log('big file answer:', await page.getByRole('alert').first().textContent());

  await page.getByRole('button', { name: 'Print', exact: true }).click();
  await page.getByRole('button', { name: 'Print patient summary' }).waitFor();
  await page.screenshot({ path: `${out}/print-preview.png` });
  await page.emulateMedia({ media: 'print' });
  await page.pdf({ path: `${out}/patient-summary.pdf`, format: 'A4' });
  await page.emulateMedia({ media: 'screen' });
  check((await page.title()) === 'Chartkeep', 'window title stays Chartkeep');

  const ap = page;
  ap.on('pageerror', (e) => errors.push(`admin page error: ${e.message}`));
  await login(ap, 'admin');
  await ap.getByRole('button', { name: 'Administration' }).click();
  await ap.getByRole('cell', { name: 'drlee', exact: true }).waitFor();
  await ap.screenshot({ path: `${out}/admin-users.png` });
  await ap.getByRole('button', { name: 'Practice' }).click();
  await ap
    .getByLabel('Backup file (full path on this computer)')
    .fill(`/tmp/ck-smoke-backup-${Date.now()}.ckb`);
  await ap.getByRole('button', { name: 'Back up now' }).click();
  await ap
    .getByText(/Backup written|already|exists/)
    .first()
    .waitFor();
  await ap.screenshot({ path: `${out}/admin-practice.png` });
  await ap.getByRole('button', { name: 'Access log' }).click();
  await ap.getByRole('button', { name: 'Show entries' }).click();
  await ap
    .getByText(/\d+ entries/)
    .first()
    .waitFor();
  await ap.getByRole('button', { name: 'Verify the access log' }).click();
  await ap
    .getByText(/The access log (is intact|failed)/)
    .first()
    .waitFor();
  await ap.screenshot({ path: `${out}/admin-audit.png` });
  const [download] = await Promise.all([
    ap.waitForEvent('download'),
    ap.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  await download.saveAs(`${out}/access-log.csv`);
  check(true, 'CSV downloaded');
  await ap
    .getByText(/the export is recorded in the access log/)
    .first()
    .waitFor();
  await ap.getByLabel('Action').selectOption('export');
  await ap.getByRole('button', { name: 'Show entries' }).click();
  await ap.getByRole('cell', { name: 'export', exact: true }).first().waitFor();
  check(true, 'the export shows in the access log');
  await ap.getByLabel('Action').selectOption('');
  await ap.getByLabel('Patient (name, MRN or birth date)').fill('allen');
  await ap.getByRole('button', { name: 'Find', exact: true }).click();
  await ap.getByLabel('Patient', { exact: true }).waitFor();
  await ap.getByRole('button', { name: 'Show entries' }).click();
  await ap.getByRole('cell', { name: 'read', exact: true }).first().waitFor();
  // Searches that found the patient are listed too (their patient cell is empty).
  const ids = await ap
    .locator('td.mono')
    .evaluateAll((tds) => [...new Set(tds.map((t) => t.textContent).filter(Boolean))]);
  check(ids.length === 1, 'filtering by a patient found by name shows only that chart');
  await ap.screenshot({ path: `${out}/admin-audit-patient.png` });
} finally {
  await browser.close();
}
if (errors.length) {
  console.log('errors:', errors);
  process.exit(1);
}
