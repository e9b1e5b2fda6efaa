// A note's life as a clinician meets it: written in the editor, saved by itself after a
// pause in typing (and still there after leaving and coming back), signed (then read-only),
// and amended with a reason, the amendment shown under the signed text.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demo, newPage, screenshot, seen, startApp } from '../harness.mjs';
import { api, logIn, openByKeyboard, openSection } from '../flows.mjs';
import { pendingUnless } from '../features.mjs';

describe('notes', { todo: pendingUnless('notes', 'ui-notes') }, () => {
  let app;
  let page;
  let patient;
  const title = 'Follow-up: knee pain';
  const subjective = 'Right knee pain for two weeks, worse on stairs.';
  const plan = 'Ibuprofen 400 mg as needed; review in two weeks.';
  const amendReason = 'Dose written wrongly';
  const correction = 'Ibuprofen 200 mg as needed, not 400 mg.';
  before(async () => {
    app = await startApp({ name: 'notes' });
    page = await newPage(app.context);
    await logIn(page, app.server.url, demo.clinician);
    [patient] = await api(page, 'patient.search', { query: 'Moore Andrew' });
    await openByKeyboard(page, patient.mrn, patient.mrn);
    await openSection(page, 'Visits and notes');
  });
  after(async () => app?.stop());

  const editor = () => page.getByRole('form', { name: 'Draft note' });
  const saveStatus = () => editor().getByRole('status');

  test(
    'a new note saves itself after a pause in typing',
    seen(
      () => page,
      async () => {
        await page.getByRole('button', { name: 'New note' }).click();
        await editor().waitFor();
        const added = page.waitForResponse((r) => r.url().endsWith('/api/note.add'));
        await editor().getByLabel('Title').fill(title);
        await editor().getByLabel('Subjective').pressSequentially(subjective.slice(0, 20));
        await editor().getByLabel('Subjective').pressSequentially(subjective.slice(20));
        assert.equal((await added).status(), 200, 'note.add answered 200');
        await saveStatus()
          .getByText(/^Saved /)
          .waitFor();
        await editor().getByLabel('Plan').fill(plan);
        await saveStatus()
          .getByText(/saving|Saving/)
          .waitFor();
        await saveStatus()
          .getByText(/^Saved /)
          .waitFor();
        await screenshot(page, 'note-editor');
        // The engine holds the draft, not the browser.
        const notes = await api(page, 'note.list', { patient: patient.id });
        const mine = notes.find((n) => n.title === title);
        assert.ok(mine, `note.list holds the draft: ${JSON.stringify(notes.map((n) => n.title))}`);
        assert.notEqual(mine.status, 'signed');
      },
    ),
  );

  test(
    'the draft is still there after leaving the chart section and coming back',
    seen(
      () => page,
      async () => {
        await openSection(page, 'Summary');
        await openSection(page, 'Visits and notes');
        await page.getByRole('button', { name: new RegExp(title) }).click();
        await editor().waitFor();
        assert.equal(await editor().getByLabel('Title').inputValue(), title);
        assert.equal(await editor().getByLabel('Subjective').inputValue(), subjective);
        assert.equal(await editor().getByLabel('Plan').inputValue(), plan);
      },
    ),
  );

  test(
    'signing makes it read-only with who signed it',
    seen(
      () => page,
      async () => {
        const signed = page.waitForResponse((r) => r.url().endsWith('/api/note.sign'));
        await editor().getByRole('button', { name: 'Sign note' }).click();
        assert.equal((await signed).status(), 200, 'note.sign answered 200');
        const note = page.getByRole('article', { name: `Note ${title}` });
        // The signer's name, once the names are looked up (an id shows until then).
        await note.getByText(/Signed by (Dr\. Lee|drlee) on/).waitFor();
        assert.equal(
          await note.getByRole('textbox').count(),
          0,
          'no editable field on a signed note',
        );
        assert.ok((await note.innerText()).includes(plan));
      },
    ),
  );

  test(
    'an amendment with its reason shows under the signed text',
    seen(
      () => page,
      async () => {
        const note = page.getByRole('article', { name: `Note ${title}` });
        await note.getByRole('button', { name: 'Amend' }).click();
        const form = page.getByRole('form', { name: 'Amend note' });
        await form.getByLabel('Reason for the amendment').fill(amendReason);
        await form.getByLabel('Correction').fill(correction);
        const amended = page.waitForResponse((r) => /\/api\/note\.(amend|append)/.test(r.url()));
        await form.getByRole('button', { name: 'Save amendment' }).click();
        assert.equal((await amended).status(), 200, 'the amendment was saved');
        const appended = note.getByRole('list').filter({ hasText: correction });
        await appended.waitFor();
        const text = await appended.innerText();
        assert.ok(
          text.includes('Amendment') && text.includes(amendReason),
          `the amendment shows:\n${text}`,
        );
        assert.ok((await note.innerText()).includes(plan), 'the signed text stays as it was');
        await screenshot(page, 'note-signed-amended');
      },
    ),
  );

  test(
    'text typed just before a lock is saved, not lost',
    seen(
      () => page,
      async () => {
        const quick = 'Phoned about the knee: better.';
        // A fresh page, so that this test does not inherit the state of the ones before.
        await page.reload();
        await openByKeyboard(page, patient.mrn, patient.mrn);
        await openSection(page, 'Visits and notes');
        await page.getByRole('button', { name: 'New note' }).click();
        await editor().waitFor();
        await editor().getByLabel('Title').fill('Telephone call');
        await editor().getByLabel('Subjective').fill(quick);
        // At once, before the pause that would save it.
        await page.getByRole('button', { name: 'Lock', exact: true }).click();
        await page.getByRole('heading', { name: 'Locked' }).waitFor();
        await page.getByLabel('Password').fill(demo.password);
        await page.getByRole('button', { name: 'Unlock' }).click();
        await page.getByRole('main', { name: 'Visits and notes' }).waitFor();
        const notes = await api(page, 'note.list', { patient: patient.id });
        const saved = notes.find((n) => n.title === 'Telephone call');
        assert.ok(
          saved,
          `the engine has no note "Telephone call"; it has: ${JSON.stringify(notes.map((n) => n.title))}`,
        );
        const copies = notes.filter((n) => n.title === 'Telephone call').length;
        assert.equal(
          copies,
          1,
          `the draft was saved as ${copies} notes (two saves racing at the lock?)`,
        );
        await page.getByRole('button', { name: /Telephone call/ }).click();
        await editor().waitFor();
        assert.equal(await editor().getByLabel('Subjective').inputValue(), quick);
      },
    ),
  );

  test(
    "no script error in the page during the note's life",
    seen(
      () => page,
      async () => {
        assert.deepEqual(page.errors, [], 'errors in the page');
      },
    ),
  );
});
