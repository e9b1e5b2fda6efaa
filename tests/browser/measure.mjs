// Browser measurements against a large practice (not a test): search keystroke → results
// painted, chart opened → summary painted, and the UI's JavaScript size gzipped. Prints a
// Markdown table for BENCHMARKS.md with the command, the commit and the machine.
//
//   CHARTKEEP_BIN=target/release/chartkeep [CHARTKEEP_UI_DIR=ui/dist] \
//     node tests/browser/measure.mjs [--practice DIR] [--copy DIR] [--queries N] [--charts N]
//
// --practice: the practice to measure (default target/bench-practice-100000-schema6,
//   passphrase "benchmark passphrase", administrator admin / benchmark-admin-1). It is
//   copied to a temporary folder first and the copy is served, never the original.
// --copy: reuse a copy this script made before (it holds a .measure-copy marker) instead
//   of copying the 11 GB again; it is kept afterwards.

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  chartkeep,
  chartkeepBin,
  chromiumPath,
  launchBrowser,
  newPage,
  repoRoot,
  startServer,
  uiDir,
} from './harness.mjs';

const { values: opts } = parseArgs({
  options: {
    practice: {
      type: 'string',
      default: join(repoRoot, 'target', 'bench-practice-100000-schema6'),
    },
    copy: { type: 'string' },
    queries: { type: 'string', default: '36' },
    charts: { type: 'string', default: '24' },
    candidates: { type: 'string', default: '600' },
    user: { type: 'string', default: 'drlee' },
  },
});
const secrets = {
  passphrase: process.env.MEASURE_PASSPHRASE ?? 'benchmark passphrase',
  adminPassword: process.env.MEASURE_ADMIN_PASSWORD ?? 'benchmark-admin-1',
  userPassword: process.env.MEASURE_USER_PASSWORD ?? 'chartkeep-demo',
};
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

/** The practice's own files: a copy of these is a whole practice. */
function practiceFiles(dir) {
  return readdirSync(dir).filter((f) =>
    /^chartkeep(\.db(-wal|-shm)?|-access\.db(-wal|-shm)?|-device\.key|\.header)$/.test(f),
  );
}

function preparedCopy() {
  if (opts.copy) {
    const dir = resolve(opts.copy);
    if (!existsSync(join(dir, '.measure-copy'))) {
      throw new Error(
        `${dir} is not a copy made by measure.mjs (no .measure-copy marker); refusing to serve it`,
      );
    }
    return { dir, keep: true };
  }
  const source = resolve(opts.practice);
  const dir = join(mkdtempSync(join(tmpdir(), 'ck-measure-')), 'practice');
  mkdirSync(dir);
  log(`copying ${source} to ${dir}`);
  for (const f of practiceFiles(source)) copyFileSync(join(source, f), join(dir, f));
  writeFileSync(join(dir, '.measure-copy'), `copied from ${source}\n`);
  return { dir, keep: false };
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
const fmt = (ms) => `${ms.toFixed(1)} ms`;

/** Calls the API from Node with the launch token (the same host the browser talks to). */
function bearer(server) {
  const token = new URL(server.url).searchParams.get('token');
  return async (command, args = {}) => {
    const r = await fetch(`${server.origin}/api/${command}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        origin: server.origin,
      },
      body: JSON.stringify(args),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(`${command}: ${r.status} ${JSON.stringify(body)}`);
    return body;
  };
}

function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const os =
    readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)/m)?.[1] ?? 'Linux';
  const chromium = execFileSync(chromiumPath, ['--version'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${os}; ${chromium} headless`;
}

function gzipSizes(dir) {
  const assets = join(dir, 'assets');
  return readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => {
      const raw = readFileSync(join(assets, f)).length;
      const gz = execFileSync('gzip', ['-9', '-c', join(assets, f)]).length;
      return { f, raw, gz };
    });
}

/** Search terms from the practice itself: surnames, surname + given prefix, MRNs, prefixes. */
function pickQueries(hits, n) {
  const out = [];
  const seen = new Set();
  const add = (q) => {
    if (!seen.has(q) && out.length < n) {
      seen.add(q);
      out.push(q);
    }
  };
  for (let i = 0; out.length < n && i < hits.length; i += 7) {
    const h = hits[i];
    const given = h.given?.[0] ?? '';
    switch (out.length % 4) {
      case 0:
        add(h.family);
        break;
      case 1:
        add(`${h.family} ${given.slice(0, 3)}`);
        break;
      case 2:
        add(h.mrn);
        break;
      default:
        add(h.family.slice(0, 4));
    }
  }
  return out;
}

const copy = preparedCopy();
let server = null;
let context = null;
const profile = mkdtempSync(join(tmpdir(), 'ck-measure-profile-'));
try {
  const users = JSON.parse(
    chartkeep(['--data', copy.dir, 'call', '--user', 'admin', 'user.list', '{}'], {
      CHARTKEEP_PASSPHRASE: secrets.passphrase,
      CHARTKEEP_PASSWORD: secrets.adminPassword,
    }),
  );
  log(
    'staff accounts:',
    users.map((u) => `${u.name} (${u.role}${u.active ? '' : ', inactive'})`).join(', '),
  );
  const account = users.find((u) => u.name === opts.user && u.active);
  if (!account || !['clinician', 'nurse'].includes(account.role)) {
    throw new Error(
      `no active clinician or nurse account "${opts.user}" in the practice to measure charts with`,
    );
  }

  log('starting chartkeep serve (opening a large practice takes a while)');
  const started = performance.now();
  server = await startServer(copy.dir, secrets.passphrase);
  log(`serving at ${server.origin} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const call = bearer(server);
  await call('app.login', { user: opts.user, password: secrets.userPassword });

  // Candidates for the largest charts: the oldest patients among broad searches, then
  // sized by their observations and encounters.
  const pool = new Map();
  for (const q of [
    'a',
    'e',
    'i',
    'o',
    'n',
    'r',
    's',
    'l',
    'm',
    'k',
    'j',
    'g',
    'p',
    'd',
    'h',
    'b',
  ]) {
    for (const h of await call('patient.search', { query: q, limit: 200 })) pool.set(h.id, h);
  }
  const hits = [...pool.values()];
  const queries = pickQueries(hits, Number(opts.queries));
  const oldest = hits
    .filter((h) => h.birth_date)
    .sort((a, b) => a.birth_date.localeCompare(b.birth_date))
    .slice(0, Number(opts.candidates));
  log(`sizing ${oldest.length} of ${hits.length} candidate charts`);
  const sized = [];
  for (const h of oldest) {
    const [obs, enc] = await Promise.all([
      call('observation.list', { patient: h.id }),
      call('encounter.list', { patient: h.id }),
    ]);
    sized.push({ hit: h, size: obs.length + enc.length, obs: obs.length, enc: enc.length });
  }
  sized.sort((a, b) => b.size - a.size);
  const charts = sized.slice(0, Number(opts.charts));
  log(`largest charts: ${charts.map((c) => c.size).join(', ')} (observations + encounters)`);

  context = await launchBrowser(profile);
  const page = await newPage(context);
  page.setDefaultTimeout(120_000);
  await page.goto(server.url);
  const search = page.getByLabel('Search patients');
  await search.waitFor();

  // --- search: last keystroke → the list shows the expected first hit, next frame.
  const searchTimes = [];
  const perQuery = [];
  const misses = [];
  // One warm-up query that is not counted (first compile of the code paths, caches).
  for (const [i, q] of ['warm', ...queries].entries()) {
    const expected = (await call('patient.search', { query: q, limit: 200 }))[0];
    if (!expected) continue;
    await search.fill('');
    await page.getByText('Type to find a patient.').waitFor();
    await search.focus();
    // Armed first and awaited, so that no keystroke reaches the page before the listener.
    await page.evaluate(
      ([len, mrn]) => {
        window.__measured = new Promise((resolve) => {
          const input = document.getElementById('patient-search');
          // One input event per character typed (letters outside the US layout arrive as
          // inserted text, without a keydown), so the last one is the last keystroke.
          let chars = 0;
          let t0 = null;
          const onInput = () => {
            chars += 1;
            if (chars === len) {
              t0 = performance.now();
              input.removeEventListener('input', onInput, true);
            }
          };
          input.addEventListener('input', onInput, true);
          const check = () => {
            if (t0 === null) return;
            // Looked up each time: the list element may be replaced when results come.
            const first = document.querySelector('[role="listbox"] [role="option"]');
            if (first && first.textContent.includes(mrn)) {
              obs.disconnect();
              requestAnimationFrame(() => resolve(performance.now() - t0));
            }
          };
          const obs = new MutationObserver(check);
          obs.observe(document.body, { subtree: true, childList: true, characterData: true });
          setTimeout(() => {
            obs.disconnect();
            resolve(null);
          }, 10_000);
        });
      },
      [[...q].length, expected.mrn],
    );
    await page.keyboard.type(q);
    const ms = await page.evaluate(() => window.__measured);
    if (i === 0) continue;
    if (ms === null) {
      const shown = await page
        .getByRole('option')
        .first()
        .innerText()
        .catch(() => '(none)');
      log(
        `search "${q}": expected first hit ${expected.mrn} ${expected.name}; the list showed ${shown.replace(/\s+/g, ' ')}`,
      );
      misses.push(q);
    } else {
      searchTimes.push(ms);
      perQuery.push([q, ms]);
    }
  }
  searchTimes.sort((a, b) => a - b);
  perQuery.sort((a, b) => b[1] - a[1]);
  log(
    `slowest queries: ${perQuery
      .slice(0, 5)
      .map(([q, ms]) => `"${q}" ${ms.toFixed(0)} ms`)
      .join(', ')}`,
  );
  log(`search: ${searchTimes.length} queries, ${misses.length} without the expected first hit`);

  // --- chart: Enter on the hit → the summary's sections painted (no Loading left).
  const chartTimes = [];
  for (const [i, c] of [charts[0], ...charts].entries()) {
    await page.keyboard.press('Escape');
    await page.evaluate(
      () => document.activeElement instanceof HTMLElement && document.activeElement.blur(),
    );
    await page.keyboard.press('/');
    await search.fill(c.hit.mrn);
    await page.getByRole('option').filter({ hasText: c.hit.mrn }).first().waitFor();
    await page.evaluate((mrn) => {
      window.__measured = new Promise((resolve) => {
        let t0 = null;
        window.addEventListener(
          'keydown',
          (e) => {
            if (e.key === 'Enter') t0 = performance.now();
          },
          { capture: true, once: true },
        );
        const done = () => {
          const banner = document.querySelector('[role="region"][aria-label="Patient banner"]');
          const main = document.querySelector('main[aria-label="Summary"]');
          return (
            banner?.textContent.includes(mrn) &&
            main &&
            main.querySelector('section, [role="region"]') &&
            !document.body.textContent.includes('Loading')
          );
        };
        const obs = new MutationObserver(() => {
          if (t0 !== null && done()) {
            obs.disconnect();
            requestAnimationFrame(() => resolve(performance.now() - t0));
          }
        });
        obs.observe(document.body, { subtree: true, childList: true, characterData: true });
        setTimeout(() => {
          obs.disconnect();
          const banner = document.querySelector('[role="region"][aria-label="Patient banner"]');
          const main = document.querySelector('main[aria-label="Summary"]');
          resolve({
            timeout: true,
            t0,
            banner: !!banner?.textContent.includes(mrn),
            main: !!main,
            sections: !!main?.querySelector('section, [role="region"]'),
            loading: [...document.querySelectorAll('*')]
              .filter((el) => el.children.length === 0 && el.textContent.includes('Loading'))
              .map((el) => el.outerHTML.slice(0, 200)),
          });
        }, 20_000);
      });
    }, c.hit.mrn);
    await page.keyboard.press('Enter');
    const ms = await page.evaluate(() => window.__measured);
    if (i === 0) continue;
    if (typeof ms !== 'number') {
      throw new Error(
        `the summary of ${c.hit.mrn} did not finish painting in 20 s: ${JSON.stringify(ms)}`,
      );
    }
    chartTimes.push(ms);
  }
  chartTimes.sort((a, b) => a - b);
  if (page.errors.length) log('page errors:', page.errors);

  // --- size of the UI's JavaScript.
  const distDir = uiDir ?? join(repoRoot, 'ui', 'dist');
  const js = gzipSizes(distDir);
  const gz = js.reduce((s, f) => s + f.gz, 0);
  const raw = js.reduce((s, f) => s + f.raw, 0);

  const commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
  }).trim();
  const command = `CHARTKEEP_BIN=${process.env.CHARTKEEP_BIN ?? 'target/release/chartkeep'}${uiDir ? ` CHARTKEEP_UI_DIR=${process.env.CHARTKEEP_UI_DIR}` : ''} node tests/browser/measure.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const largest = `${charts.at(-1).size}–${charts[0].size} observations + encounters`;
  const lines = [
    `Browser measurements, ${new Date().toISOString().slice(0, 10)}, commit ${commit}: practice ${resolve(opts.practice).replace(repoRoot + '/', '')} (served from a copy), user ${opts.user} (${account.role}).`,
    `Machine: ${machine()}.`,
    '',
    '```sh',
    command,
    '```',
    '',
    '| measurement | samples | p50 | p95 | max | note |',
    '|---|---|---|---|---|---|',
    `| search: keystroke → results painted | ${searchTimes.length} queries | ${fmt(quantile(searchTimes, 0.5))} | ${fmt(quantile(searchTimes, 0.95))} | ${fmt(searchTimes.at(-1))} | the last character's input event to the frame after the list shows the expected first hit (the first hit of the same patient.search); includes the UI's debounce (20 ms in ui/src/lib/state/patient-search.svelte.ts at this commit)${misses.length ? `; ${misses.length} queries never showed it: ${misses.join(', ')}` : ''} |`,
    `| chart opened → summary painted | ${chartTimes.length} charts | ${fmt(quantile(chartTimes, 0.5))} | ${fmt(quantile(chartTimes, 0.95))} | ${fmt(chartTimes.at(-1))} | Enter on the hit to the frame after banner and summary show with nothing loading; the largest of ${oldest.length} oldest patients' charts (${largest}) |`,
    `| UI JavaScript, gzip -9 | ${js.length} files | | | | ${(gz / 1024).toFixed(1)} KiB gzipped (${(raw / 1024).toFixed(1)} KiB raw): ${js.map((f) => `${f.f} ${(f.gz / 1024).toFixed(1)}`).join(', ')} |`,
  ];
  console.log(lines.join('\n'));
} finally {
  await context?.close().catch(() => {});
  await server?.stop();
  rmSync(profile, { recursive: true, force: true });
  if (!copy.keep) rmSync(resolve(copy.dir, '..'), { recursive: true, force: true });
}
