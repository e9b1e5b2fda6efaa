// The conflict review screen against a real engine.
// One workstation is enough to hold a real conflict: two edits made on the same stale
// `version` (as two workstations apart would) leave the field with two heads, which
// conflict.list reports. Two users make them, so the review shows two authors. The
// conflict is made in a copy of the demo practice before `serve` starts: a CLI write while
// a server holds the folder leaves the server's next commit refused (its seq is taken).

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  callAs,
  demo,
  makeDemoPractice,
  newPage,
  screenshot,
  seen,
  startApp,
} from '../harness.mjs';
import { logIn, openByKeyboard } from '../flows.mjs';

describe('conflict review', () => {
  let app;
  let page;
  let patient;
  const work = mkdtempSync(join(tmpdir(), 'ck-browser-review-template-'));
  before(async () => {
    const template = join(work, 'practice');
    if (process.env.CHARTKEEP_TEST_TEMPLATE) {
      cpSync(process.env.CHARTKEEP_TEST_TEMPLATE, template, { recursive: true });
    } else makeDemoPractice(template);
    [patient] = callAs(template, demo.admin, 'patient.search', { query: 'Allen Amelia' });
    const a = callAs(template, demo.clinician, 'allergy.add', {
      patient: patient.id,
      substance: 'Penicillin',
      severity: 'severe',
    });
    // Both edits are based on the version read before either: concurrent, so a conflict.
    callAs(template, demo.clinician, 'allergy.update', {
      id: a.id,
      version: a.version,
      severity: 'moderate',
    });
    callAs(template, demo.nurse, 'allergy.update', {
      id: a.id,
      version: a.version,
      severity: 'mild',
    });
    app = await startApp({ name: 'review', template });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.clinician);
  });
  after(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test(
    'the banner links to the chart’s conflict; keeping a value settles it for the chart',
    seen(
      () => page,
      async () => {
        const { banner } = await openByKeyboard(page, patient.mrn, patient.mrn);
        await banner.getByRole('button', { name: /^Open conflicts: 1/ }).click();
        const list = page.getByRole('main', { name: 'Needs review' });
        await list.getByRole('region', { name: patient.name }).waitFor();
        await list.getByRole('button', { name: 'Review Allergy: Severity' }).click();
        await page.getByRole('heading', { name: 'Allergy: Severity' }).waitFor();
        const values = page.getByRole('list', { name: 'Competing values' }).getByRole('listitem');
        assert.equal(await values.count(), 2);
        const text = await page.getByRole('main', { name: 'Review a conflict' }).innerText();
        assert.match(text, /Shown in the chart now/);
        assert.match(text, /Entered by drlee/);
        assert.match(text, /Entered by nurse\.kim/);
        await screenshot(page, 'conflict-review');
        const done = page.waitForResponse((r) => r.url().endsWith('/api/conflict.resolve'));
        await page.getByRole('button', { name: /^Keep this: Moderate/ }).click();
        assert.equal((await done).status(), 200);
        await list.getByText('Nothing needs review on this chart.').waitFor();
        const banner2 = page.getByRole('region', { name: 'Patient banner' });
        await page.getByRole('button', { name: 'Back to the chart' }).click();
        await banner2.getByText('Open conflicts: 0').waitFor();
        await banner2.getByText('(moderate)').waitFor();
      },
    ),
  );
});
