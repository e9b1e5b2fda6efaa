// The web UI in the real desktop window, from a machine with no practice: create one
// (passphrase mode: no keychain answers under the test's private HOME), keep the recovery
// code, log in, register and open a patient, and lock, after which no patient data is on
// the page. Runs only when ui/dist holds the real UI (scripts/test-desktop.sh decides).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebDriver } from './webdriver.mjs';

const driverUrl = process.env.WEBDRIVER_URL;
const binary = process.env.CHARTKEEP_DESKTOP_BIN;
const dataDir = process.env.CHARTKEEP_TEST_DATA + '-first-run';
const artifacts = process.env.CHARTKEEP_TEST_ARTIFACTS;
assert.ok(driverUrl && binary && artifacts, 'run me through scripts/test-desktop.sh');

const admin = { name: 'admin', password: 'desktop-test-pw-1', passphrase: 'desktop-test-passphrase' };
const patient = { family: 'Okafor', given: 'Adaeze', birth: '1971-04-09' };

let wd;
const shot = async (name) => writeFileSync(join(artifacts, `${name}.png`), await wd.screenshot());
const bodyText = () => wd.run(`return document.body.innerText`);

/** Sets a control that WebDriver cannot type into portably (date, select) as the UI sees it. */
const setValue = (el, value, event) =>
  wd.cmd('POST', '/execute/sync', {
    script: `arguments[0].value = arguments[1];
      arguments[0].dispatchEvent(new Event(arguments[2], { bubbles: true }));`,
    args: [{ 'element-6066-11e4-a52e-4f735466cecf': el }, value, event],
  });

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  wd = await WebDriver.launch(driverUrl, binary, ['--data', dataDir]);
});

after(async () => {
  if (wd) await wd.quit();
});

/** A test whose failure leaves a screenshot of the window as it was. */
const step = (name, body) =>
  test(name, async () => {
    try {
      await body();
    } catch (e) {
      await shot(`desktop-failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
      throw e;
    }
  });

step('first run: create a practice and keep the recovery code', async () => {
  await wd.waitFor(`//*[contains(., 'Welcome to Chartkeep')]`);
  await wd.fill(await wd.field('Administrator user name'), admin.name);
  await wd.fill(await wd.field('Administrator password'), admin.password);
  await wd.fill(await wd.field('Administrator password again'), admin.password);
  await wd.click(await wd.waitFor(`//label[contains(., 'A passphrase asked')]/input`));
  await wd.fill(await wd.field('Passphrase'), admin.passphrase);
  await wd.fill(await wd.field('Passphrase again'), admin.passphrase);
  await shot('desktop-create-practice');
  await wd.click(await wd.button('Create the practice'));

  const code = await wd.text(await wd.waitFor(`//output[@aria-label='Recovery code']`, 60000));
  assert.match(code.trim(), /\S{8,}/, 'a recovery code is shown');
  const cont = await wd.button('Continue');
  assert.equal(
    await wd.cmd('GET', `/element/${cont}/enabled`),
    false,
    'Continue waits until the code is kept',
  );
  await wd.click(await wd.waitFor(`//label[contains(., 'I have printed or saved it')]/input`));
  await wd.click(cont);
});

step('log in as the administrator', async () => {
  // The user name field takes the focus when the screen appears: type once it has.
  const userField = await wd.field('User name');
  await wd.focused(userField);
  await wd.fill(userField, admin.name);
  await wd.fill(await wd.field('Password'), admin.password);
  assert.equal(await wd.cmd('GET', `/element/${userField}/property/value`), admin.name);
  await shot('desktop-login');
  await wd.click(await wd.button('Log in'));
  // Checking the password hash (600k PBKDF2 rounds) takes a while on a loaded debug build.
  await wd.waitFor(`//*[@id=//label[normalize-space()='Search patients']/@for]`, 90000);
  const status = await wd.run(`return await window.__TAURI_INTERNALS__.invoke('app_status', { args: {} })`);
  assert.equal(status.state, 'open');
  assert.equal(status.key_mode, 'passphrase');
  assert.equal(status.session.user, admin.name);
});

step('register a patient and open the chart', async () => {
  await wd.click(await wd.button('Register a new patient'));
  await wd.fill(await wd.field('Family name'), patient.family);
  await wd.fill(await wd.field('Given names'), patient.given);
  await setValue(await wd.field('Birth date'), patient.birth, 'input');
  await setValue(await wd.field('Sex'), 'female', 'change');
  await wd.click(await wd.button('Register'));
  const banner = await wd.waitFor(`//*[@aria-label='Patient banner']`);
  const text = await wd.text(banner);
  assert.ok(text.includes(patient.family), `banner: ${text}`);
  await shot('desktop-chart');
  const title = await wd.cmd('GET', '/title');
  assert.equal(title, 'Chartkeep', 'no patient data in the page title');
});

step('saving an export reaches the engine through its own command; an administrator may not', async () => {
  // The capability must allow app_save_export (a refusal there says "not allowed"); the
  // engine then refuses it, because an administrator does not read charts.
  const file = `${dataDir}-export.json`;
  const r = await wd.run(`try {
      return { ok: await window.__TAURI_INTERNALS__.invoke('app_save_export', {
        args: { patient: '00000000-0000-0000-0000-000000000000', format: 'ips', file: ${JSON.stringify(file)} },
      }) };
    } catch (e) { return { err: e }; }`);
  assert.ok(r.err, `an administrator saved a chart export: ${JSON.stringify(r.ok)}`);
  assert.equal(r.err.code, 'forbidden', JSON.stringify(r.err));
  assert.ok(!existsSync(file), 'a refused export writes no file');
});

step('lock hides every patient detail', async () => {
  await wd.click(await wd.button('Lock'));
  await wd.waitFor(`//h1[normalize-space()='Locked'] | //h2[normalize-space()='Locked']`);
  const text = await bodyText();
  assert.ok(!text.includes(patient.family) && !text.includes(patient.given), `locked page: ${text}`);
  await shot('desktop-locked');
  const stored = await wd.run(`return {
    local: localStorage.length,
    session: sessionStorage.length,
    idb: (await indexedDB.databases()).length,
  }`);
  assert.deepEqual(stored, { local: 0, session: 0, idb: 0 }, 'nothing in the webview storage');
});

step('a clinician saves the patient summary to a file from the window', async () => {
  // Through the same Tauri commands the Export section uses: the save lands on disk as an
  // IPS document, and the same file is never written over.
  const file = `${dataDir}-summary.json`;
  const out = await wd.run(`const inv = window.__TAURI_INTERNALS__.invoke;
    await inv('app_resume', { args: { password: ${JSON.stringify(admin.password)} } });
    await inv('call', { command: 'user.create', args: { name: 'drdesk', role: 'clinician', password: 'desktop-clinician-pw-1' } });
    await inv('app_logout', { args: {} });
    await inv('app_login', { args: { user: 'drdesk', password: 'desktop-clinician-pw-1' } });
    const [hit] = await inv('call', { command: 'patient.search', args: { query: ${JSON.stringify(patient.family)} } });
    const saved = await inv('app_save_export', { args: { patient: hit.id, format: 'ips', file: ${JSON.stringify(file)} } });
    let again = null;
    try { await inv('app_save_export', { args: { patient: hit.id, format: 'ips', file: ${JSON.stringify(file)} } }); }
    catch (e) { again = e; }
    return { saved, again };`);
  assert.equal(out.saved.file, file);
  assert.ok(out.saved.resources >= 3, JSON.stringify(out.saved));
  const bundle = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(bundle.type, 'document');
  assert.equal(bundle.entry[0].resource.resourceType, 'Composition');
  const names = JSON.stringify(bundle.entry[1].resource.name);
  assert.ok(names.includes(patient.family), names);
  assert.equal(out.again?.code, 'file_exists', JSON.stringify(out.again));
});
