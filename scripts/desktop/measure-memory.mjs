// Resident memory of the desktop app after an hour-like session: a measurement for
// BENCHMARKS.md, not a test. Run through scripts/desktop/measure-memory.sh, which starts
// Xvfb and WebKitWebDriver. The session unlocks a large practice, logs in as a clinician
// and, ROUNDS times, searches by a name prefix from the keyboard, opens the first chart,
// visits a few sections and goes back: a clinic day's worth of chart opens. It prints the
// resident set of the app process alone and with its WebKit child processes, sampled at
// the start, every 50 rounds and at the end.
import { readFileSync, readdirSync } from 'node:fs';
import { WebDriver } from './webdriver.mjs';

const driverUrl = process.env.WEBDRIVER_URL;
const binary = process.env.CHARTKEEP_DESKTOP_BIN;
const data = process.env.CHARTKEEP_MEASURE_DATA;
const passphrase = process.env.CHARTKEEP_PASSPHRASE;
const user = process.env.CHARTKEEP_USER ?? 'drlee';
const password = process.env.CHARTKEEP_PASSWORD ?? 'chartkeep-demo';
const rounds = Number(process.env.ROUNDS ?? 300);
if (!driverUrl || !binary || !data || !passphrase) {
  throw new Error('run me through scripts/desktop/measure-memory.sh');
}

const ENTER = '\uE007';
const DOWN = '\uE015';

/** Every process's parent and resident set (kB), from /proc. */
function processes() {
  const out = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '';
      out.set(Number(pid), { ppid, rss, name });
    } catch {
      // The process ended while we read.
    }
  }
  return out;
}

/** The app's own resident set and that of the app with every descendant (WebKit's). */
function memory() {
  const all = processes();
  const app = [...all.entries()].find(([, p]) => p.name.startsWith('chartkeep-deskt'));
  if (!app) throw new Error('the desktop process is not running');
  const [appPid, appInfo] = app;
  let total = 0;
  const stack = [appPid];
  while (stack.length) {
    const pid = stack.pop();
    total += all.get(pid)?.rss ?? 0;
    for (const [child, p] of all) if (p.ppid === pid) stack.push(child);
  }
  return { appMiB: appInfo.rss / 1024, withWebKitMiB: total / 1024 };
}

const wd = await WebDriver.launch(driverUrl, binary, ['--data', data]);
const samples = [];
const sample = (round) => {
  const m = memory();
  samples.push({ round, ...m });
  console.log(
    `round ${round}: app ${m.appMiB.toFixed(1)} MiB, with WebKit processes ${m.withWebKitMiB.toFixed(1)} MiB`,
  );
};
try {
  await wd.fill(await wd.field('Passphrase'), passphrase);
  await wd.click(await wd.button('Unlock'));
  // Unlocking derives the key from the passphrase and opens the practice: allow for it.
  const userField = await wd.waitFor(`//*[@id=//label[normalize-space()='User name']/@for]`, 120000);
  await wd.fill(userField, user);
  await wd.fill(await wd.field('Password'), password);
  await wd.click(await wd.button('Log in'));
  const searchField = () =>
    wd.waitFor(`//*[@id=//label[normalize-space()='Search patients']/@for]`, 120000);
  await searchField();
  sample(0);
  const prefixes = ['gar', 'smi', 'joh', 'wil', 'bro', 'dav', 'mil', 'mar', 'lee', 'tho', 'and', 'nguy'];
  const sections = ['Vitals', 'Visits and notes', 'Summary'];
  const started = Date.now();
  for (let round = 1; round <= rounds; round++) {
    // The patient list is drawn anew each time it is shown: find its field again.
    const search = await searchField();
    await wd.fill(search, prefixes[round % prefixes.length]);
    await wd.waitFor(`//*[@role='option']`, 60000);
    await wd.type(search, DOWN + ENTER);
    await wd.waitFor(`//*[@aria-label='Patient banner']`, 60000);
    for (const s of sections) {
      const b = await wd
        .waitFor(`//nav[@aria-label='Chart sections']//*[normalize-space()='${s}']`, 5000)
        .catch(() => null);
      if (b) await wd.click(b);
    }
    await wd.click(await wd.button('Patients'));
    if (round % 50 === 0) sample(round);
  }
  if (rounds % 50 !== 0) sample(rounds);
  console.log(`${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const last = samples[samples.length - 1];
  console.log(
    JSON.stringify({ rounds, appMiB: +last.appMiB.toFixed(1), withWebKitMiB: +last.withWebKitMiB.toFixed(1) }),
  );
} finally {
  await wd.quit();
}
