// Two workstations in step: a founding practice served by `chartkeep sync run` (a headless
// peer), and the real desktop window joining it from the first-run screen with a pairing
// code. The window then shows the peer's patient (users came with the sync, so the
// administrator logs in with the password made on the peer), and a patient registered in
// the window reaches the peer through the app's background sync.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebDriver } from './webdriver.mjs';

const driverUrl = process.env.WEBDRIVER_URL;
const binary = process.env.CHARTKEEP_DESKTOP_BIN;
const cli = process.env.CHARTKEEP_BIN;
const dataDir = process.env.CHARTKEEP_TEST_DATA + '-join';
const artifacts = process.env.CHARTKEEP_TEST_ARTIFACTS;
assert.ok(driverUrl && binary && cli && artifacts, 'run me through scripts/test-desktop.sh');

const admin = { name: 'admin', password: 'desktop-test-pw-1' };
const passphrase = 'desktop-test-passphrase';
const peerDir = mkdtempSync(join(tmpdir(), 'ck-desktop-peer-'));
const peerData = join(peerDir, 'practice');
const env = {
  ...process.env,
  HOME: peerDir,
  CHARTKEEP_PASSPHRASE: passphrase,
  CHARTKEEP_USER: admin.name,
  CHARTKEEP_PASSWORD: admin.password,
};
const chartkeep = (...args) =>
  execFileSync(cli, ['--data', peerData, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let wd;
let peer;
let address;
const shot = async (name) => writeFileSync(join(artifacts, `${name}.png`), await wd.screenshot());

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  chartkeep('init', '--no-keychain', '--admin', admin.name);
  chartkeep(
    'call',
    'patient.create',
    JSON.stringify({ family: 'Peerwright', given: ['Ines'], birth_date: '1966-02-03', sex: 'female' }),
  );
  peer = spawn(cli, ['--data', peerData, 'sync', 'run', '--listen', '127.0.0.1:0', '--no-mdns'], {
    env,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: peer.stdout });
  address = await new Promise((resolve, reject) => {
    lines.once('line', (l) => (l.startsWith('listening: ') ? resolve(l.slice(11).trim()) : reject(new Error(l))));
    peer.once('exit', (c) => reject(new Error(`sync run exited with ${c}`)));
  });
  wd = await WebDriver.launch(driverUrl, binary, ['--data', dataDir]);
});

after(async () => {
  if (wd) await wd.quit();
  if (peer) peer.kill();
  rmSync(peerDir, { recursive: true, force: true });
});

const step = (name, body) =>
  test(name, async () => {
    try {
      await body();
    } catch (e) {
      await shot(`desktop-failed-${name.replace(/\W+/g, '-')}`).catch(() => {});
      throw e;
    }
  });

step('join the practice with the code a member made', async () => {
  const code = chartkeep('sync', 'invite')
    .split('\n')
    .find((l) => l.startsWith('code: '))
    .slice(6)
    .trim();
  await wd.waitFor(`//*[contains(., 'Welcome to Chartkeep')]`);
  await wd.click(await wd.waitFor(`//label[contains(., 'Join a practice')]/input`));
  await wd.fill(await wd.field('Pairing code'), code);
  await wd.fill(await wd.field('Address of the workstation (host:port)'), address);
  await wd.click(await wd.waitFor(`//label[contains(., 'A passphrase asked')]/input`));
  await wd.fill(await wd.field('Passphrase'), passphrase);
  await wd.fill(await wd.field('Passphrase again'), passphrase);
  await shot('desktop-join');
  await wd.click(await wd.button('Join the practice'));
  const recovery = await wd.text(await wd.waitFor(`//output[@aria-label='Recovery code']`, 60000));
  assert.match(recovery.trim(), /\S{8,}/, "the new workstation's own recovery code is shown");
  await wd.click(await wd.waitFor(`//label[contains(., 'I have printed or saved it')]/input`));
  await wd.click(await wd.button('Continue'));
});

step("log in with the peer's password and find the peer's patient", async () => {
  const userField = await wd.field('User name');
  await wd.focused(userField);
  await wd.fill(userField, admin.name);
  await wd.fill(await wd.field('Password'), admin.password);
  await wd.click(await wd.button('Log in'));
  const search = await wd.waitFor(`//*[@id=//label[normalize-space()='Search patients']/@for]`, 90000);
  await wd.fill(search, 'Peerwright');
  await wd.waitFor(`//*[contains(., 'Peerwright')]`, 20000);
  await shot('desktop-joined-search');
});

step('a patient registered in the window reaches the peer', async () => {
  const created = await wd.run(
    `return await window.__TAURI_INTERNALS__.invoke('call', { command: 'patient.create', args: {
      family: 'Windowmade', given: ['Oskar'], birth_date: '1990-07-08', sex: 'male' } })`,
  );
  assert.equal(created.family, 'Windowmade');
  // The app syncs soon after a commit; wait for the peer to hold it (no fixed sleep).
  const deadline = Date.now() + 60000;
  for (;;) {
    const hits = JSON.parse(chartkeep('call', 'patient.search', JSON.stringify({ query: 'Windowmade' })));
    if (hits.length === 1) break;
    assert.ok(Date.now() < deadline, 'the patient did not reach the peer within a minute');
    await new Promise((r) => setTimeout(r, 250));
  }
  const status = JSON.parse(chartkeep('sync', 'status', '--json'));
  assert.equal(status.peers.length, 1, JSON.stringify(status));
});
