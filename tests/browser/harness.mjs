// The pieces every browser test stands on: a real chartkeep binary serving a fresh demo
// practice, and Debian's Chromium driven by playwright-core. Nothing is mocked, nothing is
// downloaded: the binary comes from CHARTKEEP_BIN, the UI from the binary (or
// CHARTKEEP_UI_DIR), the browser from /usr/bin/chromium.

import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root: relative paths in the environment are taken from there. */
export const repoRoot = resolve(here, '..', '..');
export const artifactsDir = join(repoRoot, 'target', 'test-artifacts', 'browser');

function fromRoot(p) {
  return isAbsolute(p) ? p : join(repoRoot, p);
}

export const chartkeepBin = fromRoot(process.env.CHARTKEEP_BIN ?? 'target/release/chartkeep');
export const uiDir = process.env.CHARTKEEP_UI_DIR ? fromRoot(process.env.CHARTKEEP_UI_DIR) : null;
export const chromiumPath = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** The demo practice's secrets (see scripts/run-demo.sh): synthetic data only. */
export const demo = {
  passphrase: 'chartkeep-demo-passphrase',
  password: 'chartkeep-demo',
  admin: 'admin',
  clinician: 'drlee',
  nurse: 'nurse.kim',
  frontDesk: 'frontdesk',
};

/** The flags from PLATFORM.md: no GPU, no network chatter, no first-run screens. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Runs the chartkeep CLI to completion and returns its stdout. */
export function chartkeep(args, env = {}) {
  return execFileSync(chartkeepBin, args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * Creates a passphrase-mode demo practice in `dir` (60 patients, seed 1 unless told):
 * the folder every test file copies, so that one file's writes never leak into another's.
 */
export function makeDemoPractice(dir, { patients = 60, seed = 1 } = {}) {
  const env = { CHARTKEEP_PASSWORD: demo.password, CHARTKEEP_PASSPHRASE: demo.passphrase };
  chartkeep(['--data', dir, 'init', '--no-keychain', '--admin', demo.admin], env);
  chartkeep(['--data', dir, 'demo', '--patients', String(patients), '--seed', String(seed)], env);
}

/**
 * A copy of the run's demo practice (or a new one) in `dir`, for a test file to change with
 * the CLI before `startApp({ template: dir })` serves it: a CLI write while a server holds
 * the folder leaves the server's next commit refused.
 */
export function copyDemoPractice(dir) {
  if (process.env.CHARTKEEP_TEST_TEMPLATE) {
    cpSync(process.env.CHARTKEEP_TEST_TEMPLATE, dir, { recursive: true });
  } else makeDemoPractice(dir);
}

/**
 * The official eCQM content for the 2025 period, read in place beside the project
 * (../shared/data/cds/ecqm, see its README): the value set expansions (VSAC content with
 * CPT codes, for tests only, never copied) and the test patients per measure.
 */
const ecqmInput = join(repoRoot, '..', 'shared', 'data', 'cds', 'ecqm', 'input');
export const ecqm = {
  valueSets: join(ecqmInput, 'vocabulary', 'valueset', 'external'),
  cases: join(ecqmInput, 'tests', 'measure'),
  get present() {
    return existsSync(this.valueSets) && existsSync(this.cases);
  },
};

/** Imports the eCQM value sets into a practice folder not being served, as the administrator. */
export function importValueSets(dataDir) {
  return chartkeep(
    ['--data', dataDir, 'import', 'valuesets', '--user', demo.admin, ecqm.valueSets],
    { CHARTKEEP_PASSWORD: demo.password, CHARTKEEP_PASSPHRASE: demo.passphrase },
  );
}

/** Runs one API command as a user through `chartkeep call`, for setup and checks. */
export function callAs(dataDir, user, command, args = {}, secrets = demo) {
  const out = chartkeep(
    ['--data', dataDir, 'call', '--user', user, command, JSON.stringify(args)],
    {
      CHARTKEEP_PASSWORD: secrets.password,
      CHARTKEEP_PASSPHRASE: secrets.passphrase,
    },
  );
  return JSON.parse(out);
}

/**
 * Starts `chartkeep --data DIR serve --port 0` unlocked with the passphrase and resolves
 * with the URL from its first stdout line. stderr is kept for failure messages.
 */
export function startServer(dataDir, passphrase = demo.passphrase) {
  const args = ['--data', dataDir, 'serve', '--port', '0'];
  if (uiDir) args.push('--ui-dir', uiDir);
  const child = spawn(chartkeepBin, args, {
    env: { ...process.env, CHARTKEEP_PASSPHRASE: passphrase },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const url = new Promise((res, rej) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        res(out.slice(0, nl).trim());
      }
    };
    child.stdout.on('data', onData);
    child.once('error', rej);
    exited.then(({ code, signal }) =>
      rej(
        new Error(`chartkeep serve exited (${code ?? signal}) before printing its URL:\n${stderr}`),
      ),
    );
  });
  return url.then((u) => {
    if (!/^http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/.test(u)) {
      child.kill('SIGTERM');
      throw new Error(`chartkeep serve printed an unexpected first line: ${JSON.stringify(u)}`);
    }
    return {
      url: u,
      origin: new URL(u).origin,
      stderr: () => stderr,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      },
    };
  });
}

/**
 * Launches Chromium with a fresh profile folder. A persistent context is what lets the
 * profile folder be our own (plain launch() refuses --user-data-dir).
 */
export async function launchBrowser(profileDir, { downloads = false } = {}) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    viewport: { width: 1280, height: 800 },
    // Not a patient-data store: keeps Chromium's own downloads inside the profile folder.
    // A test of a download turns them on; Playwright keeps them in its own temporary
    // folder, removed with the browser.
    acceptDownloads: downloads,
  });
}

/**
 * One running app for one test file: a copy of the demo practice, its server and a
 * browser. `stop()` tears everything down and is safe to call after a failure.
 */
export async function startApp({
  template = process.env.CHARTKEEP_TEST_TEMPLATE,
  name = 'app',
  downloads = false,
} = {}) {
  const work = mkdtempSync(join(tmpdir(), `ck-browser-${name}-`));
  const data = join(work, 'practice');
  if (template) cpSync(template, data, { recursive: true });
  else makeDemoPractice(data);
  const profile = join(work, 'profile');
  mkdirSync(profile);
  let server = null;
  let context = null;
  try {
    server = await startServer(data);
    context = await launchBrowser(profile, { downloads });
  } catch (e) {
    await context?.close().catch(() => {});
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return {
    data,
    profile,
    server,
    context,
    async stop() {
      await context.close().catch(() => {});
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A page that records the app's errors and fails fast instead of waiting 30 s. */
export async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(Number(process.env.BROWSER_TEST_TIMEOUT_MS ?? 10_000));
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e}`));
  // An API error answer (401 for a wrong password, 409 for a stale version) is the app's
  // business and Chromium logs it as a console error; a 5xx or a script error is not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      page.errors.push(`console: ${m.text()}`);
    }
  });
  page.on('response', (r) => {
    if (r.status() >= 500) page.errors.push(`HTTP ${r.status()} from ${new URL(r.url()).pathname}`);
  });
  return page;
}

/** Screenshots of the main screens, for people to look at; never committed. */
export async function screenshot(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: false });
}

/**
 * What the page showed, for a failing test's message: the URL, the visible text and the
 * page's own errors, plus a screenshot next to the others.
 */
export async function describePage(page, label) {
  const parts = [];
  try {
    parts.push(`url: ${page.url()}`);
    const text = await page.locator('body').innerText({ timeout: 2000 });
    parts.push(`visible text:\n${text.slice(0, 3000)}`);
    if (page.errors?.length) parts.push(`page errors:\n${page.errors.join('\n')}`);
    const safe = label.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, `FAILED-${safe}.png`) });
    parts.push(`screenshot: target/test-artifacts/browser/FAILED-${safe}.png`);
  } catch (e) {
    parts.push(`(could not read the page: ${e.message})`);
  }
  return parts.join('\n');
}

/**
 * Wraps a test body so that a failure also says what the page showed. Use as
 * `test('name', seen(() => page, async () => { ... }))`.
 */
export function seen(getPage, body) {
  return async (t) => {
    try {
      await body(t);
    } catch (e) {
      const page = getPage();
      if (page && !page.isClosed() && e instanceof Error) {
        // The runner prints the stack, which was fixed when the error was made.
        const extra = `\n--- what the page showed ---\n${await describePage(page, t.name)}`;
        e.message += extra;
        if (typeof e.stack === 'string') e.stack += extra;
      }
      throw e;
    }
  };
}

/** A PDF's text as poppler's pdftotext reads it (pages separated by form feeds). */
export function pdfText(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'ck-pdf-'));
  try {
    const file = join(dir, 'printed.pdf');
    writeFileSync(file, bytes);
    return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a small text artifact (e.g. extracted PDF text) next to the screenshots. */
export function writeArtifact(name, content) {
  mkdirSync(artifactsDir, { recursive: true });
  writeFileSync(join(artifactsDir, name), content);
}
