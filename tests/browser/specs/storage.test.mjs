// After a session of use, nothing of the patients opened is kept by the browser: not in
// localStorage, sessionStorage, IndexedDB, Cache Storage or a service worker, not in the URL
// or the window title at any step, and not in Chromium's profile folder on disk (the HTTP
// cache included: every answer is no-store).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callAs, demo, newPage, seen, startApp } from '../harness.mjs';
import { logIn, openByKeyboard, openSection } from '../flows.mjs';
import { landed } from '../features.mjs';

/** Everything the page's origin keeps in browser storage, as text. */
async function browserStorage(page) {
  return page.evaluate(async () => {
    const out = {
      localStorage: {},
      sessionStorage: {},
      indexedDB: {},
      caches: {},
      serviceWorkers: [],
    };
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      out.localStorage[k] = localStorage.getItem(k);
    }
    for (let i = 0; i < sessionStorage.length; i++) {
      const k = sessionStorage.key(i);
      out.sessionStorage[k] = sessionStorage.getItem(k);
    }
    for (const { name } of await indexedDB.databases()) {
      const db = await new Promise((res, rej) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      out.indexedDB[name] = {};
      for (const store of db.objectStoreNames) {
        out.indexedDB[name][store] = await new Promise((res, rej) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => res(JSON.stringify(r.result));
          r.onerror = () => rej(r.error);
        });
      }
      db.close();
    }
    for (const key of await caches.keys()) {
      const cache = await caches.open(key);
      out.caches[key] = [];
      for (const req of await cache.keys()) {
        const res = await cache.match(req);
        out.caches[key].push(`${req.url}\n${res ? await res.text() : ''}`);
      }
    }
    if (navigator.serviceWorker) {
      for (const r of await navigator.serviceWorker.getRegistrations()) {
        out.serviceWorkers.push(r.scope);
      }
    }
    return out;
  });
}

/** Files under `dir` whose bytes hold one of `needles` (as UTF-8 or UTF-16LE). */
function filesHolding(dir, needles) {
  const hits = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 64 * 1024 * 1024) {
        const bytes = readFileSync(p);
        for (const n of needles) {
          if (bytes.includes(Buffer.from(n, 'utf8')) || bytes.includes(Buffer.from(n, 'utf16le'))) {
            hits.push(`${relative(dir, p)}: ${n}`);
          }
        }
      }
    }
  };
  walk(dir);
  return hits;
}

describe('no patient data kept by the browser', () => {
  let app;
  let page;
  const urls = [];
  const titles = [];
  let patients;
  const note = async () => {
    urls.push(page.url());
    titles.push(await page.title());
  };
  before(async () => {
    app = await startApp({ name: 'storage' });
    page = await newPage(app.context);
    page.on('framenavigated', (f) => f === page.mainFrame() && urls.push(f.url()));
    patients = ['Allen Amelia', 'Banerjee Arjun', 'Mehta Aisha'].map(
      (q) => callAs(app.data, demo.admin, 'patient.search', { query: q })[0],
    );
  });
  after(async () => app?.stop());

  test(
    'a session of use: three charts, an allergy, a lock and resume, switch user',
    seen(
      () => page,
      async () => {
        await logIn(page, app.server.url, demo.clinician);
        await note();
        for (const p of patients) {
          // Search by name (the query itself is patient data too), open by MRN.
          await openByKeyboard(page, `${p.family}`, p.mrn);
          await note();
          assert.ok(
            (await page.getByRole('region', { name: 'Patient banner' }).innerText()).includes(
              p.mrn,
            ),
          );
          await openSection(page, 'Allergies');
          await note();
        }
        await page.getByRole('button', { name: 'Add allergy' }).click();
        await page.getByLabel('Substance').fill('Latex');
        await page.getByRole('button', { name: 'Save allergy' }).click();
        await page.getByRole('region', { name: 'Patient banner' }).getByText('Latex').waitFor();
        if (landed.notes) {
          // A draft note is saved as ledger commits, never in the browser.
          await openSection(page, 'Visits and notes');
          await page.getByRole('button', { name: 'New note' }).click();
          const editor = page.getByRole('form', { name: 'Draft note' });
          await editor.getByLabel('Title').fill(`Draft for ${patients[2].family}`);
          await editor.getByLabel('Subjective').fill(`${patients[2].given[0]} reports a cough.`);
          await editor
            .getByRole('status')
            .getByText(/^Saved /)
            .waitFor();
          await note();
        }
        await page.getByRole('button', { name: 'Lock', exact: true }).click();
        await page.getByLabel('Password').fill(demo.password);
        await page.getByRole('button', { name: 'Unlock' }).click();
        await page.getByRole('region', { name: 'Patient banner' }).waitFor();
        await note();
        await page.getByRole('button', { name: 'Switch user' }).click();
        await page.getByLabel('User name').waitFor();
        await note();
        await logIn(page, app.server.url, demo.nurse);
        await note();
      },
    ),
  );

  test(
    'nothing of those patients in browser storage, the URL or the title',
    seen(
      () => page,
      async () => {
        const needles = patients.flatMap((p) => [p.family, ...p.given, p.mrn, p.id, p.birth_date]);
        const stored = await browserStorage(page);
        const text = JSON.stringify(stored);
        const inStorage = needles.filter((n) => text.includes(n));
        assert.deepEqual(inStorage, [], `patient data in browser storage: ${inStorage}\n${text}`);
        assert.deepEqual(stored.serviceWorkers, [], 'no service worker');
        assert.deepEqual(
          Object.keys(stored.caches),
          [],
          `no Cache Storage: ${Object.keys(stored.caches)}`,
        );
        const seenUrls = [...new Set(urls)];
        const inUrls = seenUrls.filter((u) => needles.some((n) => u.includes(n)));
        assert.deepEqual(inUrls, [], `patient data in the URL: ${inUrls}`);
        const inTitles = [...new Set(titles)].filter((t) => needles.some((n) => t.includes(n)));
        assert.deepEqual(inTitles, [], `patient data in document.title: ${inTitles}`);
        const cookies = JSON.stringify(await app.context.cookies());
        const inCookies = needles.filter((n) => cookies.includes(n));
        assert.deepEqual(inCookies, [], `patient data in cookies: ${inCookies}`);
      },
    ),
  );

  test(
    "nothing of those patients in Chromium's profile folder once it is closed",
    seen(
      () => null,
      async () => {
        // Names of two letters or fewer would match anything; MRNs and ids are long enough.
        const needles = patients
          .flatMap((p) => [p.family, ...p.given, p.mrn, p.id])
          .filter((n) => n.length >= 4);
        await app.context.close();
        const hits = filesHolding(app.profile, needles);
        assert.deepEqual(
          hits,
          [],
          `patient data on disk in the browser profile:\n${hits.join('\n')}`,
        );
      },
    ),
  );
});
