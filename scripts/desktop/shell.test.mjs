// Drives the real desktop binary in a real WebKitGTK window (under Xvfb) through
// WebKitWebDriver: the page loads, the host answers through invoke, the window's capability
// refuses what is not on its list, the CSP holds, and the window title never changes.
// Run by scripts/test-desktop.sh, which starts the display and the driver.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebDriver } from './webdriver.mjs';

const driverUrl = process.env.WEBDRIVER_URL;
const binary = process.env.CHARTKEEP_DESKTOP_BIN;
const dataDir = process.env.CHARTKEEP_TEST_DATA;
const artifacts = process.env.CHARTKEEP_TEST_ARTIFACTS;
assert.ok(driverUrl && binary && dataDir && artifacts, 'run me through scripts/test-desktop.sh');

/** invoke() from the page, as the UI's TauriBackend does; a rejection comes back as `err`. */
const invoke = (cmd, args) =>
  wd.run(
    `const [cmd, a] = args;
     try { return { ok: await window.__TAURI_INTERNALS__.invoke(cmd, a) }; }
     catch (e) { return { err: e }; }`,
    cmd,
    args,
  );

let wd;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  wd = await WebDriver.launch(driverUrl, binary, ['--data', dataDir]);
  await wd.until(
    `return document.readyState === 'complete' && '__TAURI_INTERNALS__' in window`,
    'the page and the Tauri bridge',
  );
});

after(async () => {
  if (wd) {
    writeFileSync(join(artifacts, 'desktop-window.png'), await wd.screenshot());
    // The whole display, with the native menu bar the page screenshot leaves out.
    execFileSync('import', ['-window', 'root', join(artifacts, 'desktop-screen.png')]);
    await wd.quit();
  }
});

test('app.status answers through invoke before anything is unlocked', async () => {
  const r = await invoke('app_status', { args: {} });
  assert.ok(r.ok, `app_status failed: ${JSON.stringify(r.err)}`);
  assert.equal(r.ok.state, 'none', 'a fresh data folder holds no practice');
  assert.equal(r.ok.folder, dataDir);
  assert.equal(r.ok.session, null);
  assert.match(r.ok.version, /^\d+\.\d+\.\d+/);
});

test('call refuses the host commands: app.* only go through their own commands', async () => {
  const r = await invoke('call', { command: 'app.status', args: {} });
  assert.ok(r.err, 'call("app.status") must be refused');
  assert.equal(typeof r.err.code, 'string');
  assert.equal(typeof r.err.message, 'string');
});

test('an engine error reaches the page as { code, message }', async () => {
  const r = await invoke('call', { command: 'patient.search', args: { query: 'a' } });
  assert.ok(r.err, 'no session: the search must be refused');
  assert.deepEqual(Object.keys(r.err).sort(), ['code', 'message']);
});

for (const [cmd, args] of [
  ['plugin:dialog|message', { message: 'hello', title: 'x' }],
  ['plugin:window|set_title', { label: 'main', value: 'Patient: Jane Doe' }],
  ['plugin:webview|print', {}],
  ['plugin:app|version', {}],
  ['plugin:path|resolve_directory', { directory: 11 }],
  ['run_anything', {}],
]) {
  test(`the capability refuses ${cmd}`, async () => {
    const r = await invoke(cmd, args);
    assert.ok(!('ok' in r), `${cmd} was allowed: ${JSON.stringify(r.ok)}`);
    assert.match(String(r.err), /not allowed|not found/i, `${cmd}: ${JSON.stringify(r.err)}`);
  });
}

test('the CSP blocks inline script and eval', async () => {
  const r = await wd.run(`
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.appendChild(s);
    let evalRan = false;
    try { evalRan = eval('true'); } catch (e) { evalRan = false; }
    let fnRan = false;
    try { fnRan = new Function('return true')(); } catch (e) { fnRan = false; }
    await new Promise((r) => setTimeout(r, 50));
    return { inline: window.__inlineRan === true, evalRan, fnRan, violations };
  `);
  assert.equal(r.inline, false, 'an inline script ran');
  assert.equal(r.evalRan, false, 'eval ran');
  assert.equal(r.fnRan, false, 'new Function ran');
  assert.ok(r.violations.some((d) => d.startsWith('script-src')), JSON.stringify(r.violations));
});

test('IPC goes through the isolation frame', async () => {
  const frames = await wd.run(
    `return Array.from(document.querySelectorAll('iframe')).map((f) => f.src + ' ' + (f.getAttribute('sandbox') || ''))`,
  );
  assert.ok(
    frames.some((f) => /^isolation-[0-9a-f-]+:\/\/localhost\/ allow-scripts$/.test(f)),
    `no sandboxed isolation iframe: ${JSON.stringify(frames)}`,
  );
});

test('the window title stays "Chartkeep" whatever the page calls itself', async () => {
  await wd.run(`document.title = 'Jane Doe 1970-01-01'`);
  // One IPC round trip through the main loop, so a title change would have reached the window.
  await invoke('app_status', { args: {} });
  const ids = execFileSync('xdotool', ['search', '--onlyvisible', '--name', '.']).toString().trim().split('\n');
  const names = ids.map((id) => execFileSync('xdotool', ['getwindowname', id]).toString().trim());
  assert.ok(names.includes('Chartkeep'), JSON.stringify(names));
  assert.ok(!names.some((n) => n.includes('Jane')), `patient data in a window title: ${JSON.stringify(names)}`);
});

/** Presses keys in the app's window as the keyboard would (XTEST), after focusing it. */
function pressKeys(keys) {
  const id = execFileSync('xdotool', ['search', '--onlyvisible', '--name', '^Chartkeep$'])
    .toString()
    .trim()
    .split('\n')[0];
  execFileSync('xdotool', ['windowfocus', '--sync', id]);
  execFileSync('xdotool', ['key', '--clearmodifiers', keys]);
}

test('File > New patient (Ctrl+Shift+N) reaches the page as a menu event', async () => {
  await wd.run(`
    window.__menuEvents = [];
    const internals = window.__TAURI_INTERNALS__;
    await internals.invoke('plugin:event|listen', {
      event: 'menu',
      target: { kind: 'Any' },
      handler: internals.transformCallback((e) => window.__menuEvents.push(e.payload)),
    });`);
  pressKeys('ctrl+shift+n');
  const events = await wd.until(
    `return window.__menuEvents.length ? window.__menuEvents : null`,
    'the menu event',
  );
  assert.deepEqual(events, [{ action: 'new-patient' }]);
});

test('View > Zoom in (Ctrl+=) and Actual size (Ctrl+0) zoom the page', async () => {
  const width = () => wd.run(`return document.documentElement.clientWidth`);
  const before = await width();
  pressKeys('ctrl+equal');
  const zoomed = await wd.until(
    `const w = document.documentElement.clientWidth; return w < ${before} ? w : null`,
    'the page to zoom in',
  );
  assert.ok(Math.abs(zoomed - before / 1.1) < 3, `${before} -> ${zoomed}`);
  pressKeys('ctrl+0');
  await wd.until(`return document.documentElement.clientWidth === ${before}`, 'actual size');
});

/** Waits (bounded) for a top-level window with exactly this name to be mapped. */
async function waitForWindow(name, timeoutMs = 15000) {
  const start = Date.now();
  for (;;) {
    try {
      return execFileSync('xdotool', ['search', '--onlyvisible', '--name', `^${name}$`])
        .toString()
        .trim();
    } catch {
      if (Date.now() - start > timeoutMs) throw new Error(`no window named ${name}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('Help > About opens a dialog of its own, and the page keeps answering', async () => {
  // F10 opens the menu bar (File); Left wraps round to Help; Down and Return pick About.
  pressKeys('F10');
  execFileSync('xdotool', ['key', 'Left', 'Down', 'Return']);
  const dialog = await waitForWindow('About Chartkeep');
  execFileSync('import', ['-window', 'root', join(artifacts, 'desktop-about.png')]);
  execFileSync('xdotool', ['windowfocus', '--sync', dialog.split('\n')[0]]);
  execFileSync('xdotool', ['key', 'Return']);
  const r = await invoke('app_status', { args: {} });
  assert.ok(r.ok, JSON.stringify(r.err));
});

test('File > Print (Ctrl+P) opens the system print dialog', async () => {
  pressKeys('ctrl+p');
  const dialog = await waitForWindow('Print');
  execFileSync('xdotool', ['windowfocus', '--sync', dialog.split('\n')[0]]);
  execFileSync('xdotool', ['key', 'Escape']);
});

test('the window refuses to navigate away from the app', async () => {
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(req.url);
    res.end('<p>a foreign page</p>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const foreign = `http://127.0.0.1:${server.address().port}/foreign`;
  try {
    const before = await wd.cmd('GET', '/url');
    await wd.run(`location.href = ${JSON.stringify(foreign)}`);
    // Were it allowed, the loopback request would arrive within milliseconds; give it ample time.
    const deadline = Date.now() + 3000;
    while (hits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(hits, [], 'the foreign page was requested');
    assert.equal(await wd.cmd('GET', '/url'), before);
    const r = await invoke('app_status', { args: {} });
    assert.ok(r.ok, 'the app still answers');
  } finally {
    server.close();
  }
});
