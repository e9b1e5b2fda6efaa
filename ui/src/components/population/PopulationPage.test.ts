import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import {
  cms122Evaluation,
  dueListAnswer,
  measureInfos,
  registryAnswer,
  session,
  status,
  summary,
} from '../../lib/api/fixtures';
import type { Measure } from '../../lib/api/types.gen';
import Shell from '../app/Shell.svelte';

function practice(permissions?: string[], missing: Measure[] = []) {
  return new FakeBackend()
    .on('app.status', () => status({ session: session(permissions ? { permissions } : {}) }))
    .on('cds.due_list', () => dueListAnswer())
    .on('registry.list', () => registryAnswer())
    .on('measure.list', () => measureInfos(missing))
    .on('measure.evaluate', ({ from, to }) => cms122Evaluation({ from, to }))
    .on('chart.summary', () => summary())
    .on('cds.due', () => {
      throw new Error('not under test');
    });
}

async function openPopulation() {
  const nav = await screen.findByRole('navigation', { name: 'Main' });
  await fireEvent.click(within(nav).getByRole('button', { name: 'Population' }));
  return screen.findByRole('main', { name: 'Population' });
}

async function openMeasures() {
  const page = await openPopulation();
  await fireEvent.click(within(page).getByRole('tab', { name: 'Quality measures' }));
  await within(page).findByRole('list', { name: 'Quality measures' });
  return page;
}

/** jsdom's Blob has no text(); its FileReader reads it. */
function blobText(b: Blob): Promise<string> {
  return new Promise<string>((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsText(b);
  });
}

/**
 * jsdom lays nothing out, so the virtual lists would see a viewport of 0 px and show no
 * row; this observer reports every element as 1000 × 800 px, the way a window would. Rows
 * stay `visibility: hidden` until virtua has measured them in a real layout, so queries
 * of rows pass `hidden: true` (and their names, which hidden nodes lack, are read as text).
 */
class SizedResizeObserver {
  readonly #cb: ResizeObserverCallback;
  constructor(cb: ResizeObserverCallback) {
    this.#cb = cb;
  }
  observe(target: Element): void {
    const entry = { target, contentRect: { width: 1000, height: 800 } } as ResizeObserverEntry;
    queueMicrotask(() => this.#cb([entry], this as unknown as ResizeObserver));
  }
  unobserve(): void {}
  disconnect(): void {}
}

describe('the Population screen', () => {
  const original = globalThis.ResizeObserver;
  beforeAll(() => {
    globalThis.ResizeObserver = SizedResizeObserver as unknown as typeof ResizeObserver;
  });
  afterAll(() => {
    globalThis.ResizeObserver = original;
  });
  afterEach(() => cleanup());

  it('is not offered to a role that may not read charts', async () => {
    render(Shell, { backend: practice(['demographics']) });
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(within(nav).queryByRole('button', { name: 'Population' })).toBeNull();
  });

  it('lists who is due, filters by rule, and opens the chart from a row', async () => {
    render(Shell, { backend: practice() });
    const page = await openPopulation();
    const rows = await within(page).findByRole('list', { name: 'Patients due' });
    await waitFor(() =>
      expect(within(rows).getAllByRole('listitem', { hidden: true })).toHaveLength(2),
    );
    expect(rows.textContent).toContain('Testperson, Ann');
    expect(rows.textContent).toContain('555-0101');
    expect(rows.textContent).toContain('overdue by 30 days');

    await fireEvent.change(within(page).getByLabelText('Rule'), {
      target: { value: 'depression_screening_adults' },
    });
    await waitFor(() =>
      expect(within(rows).getAllByRole('listitem', { hidden: true })).toHaveLength(1),
    );
    expect(rows.textContent).toContain('Sample, Bob');

    await fireEvent.click(within(page).getByRole('tab', { name: 'Registries' }));
    const registries = await within(page).findByText(/Warfarin: no INR/, { selector: 'h2' });
    expect(registries.textContent).toContain('(1)');
    expect(page.textContent).toContain('no INR on record');
    await fireEvent.click(
      page.querySelector<HTMLElement>('[aria-label="Open the chart of Testperson, Ann"]')!,
    );
    await screen.findByRole('region', { name: 'Patient banner' });
  }, 20_000);

  it('switches tabs with the arrow keys and shows the recall list with phones', async () => {
    render(Shell, { backend: practice() });
    const page = await openPopulation();
    const due = within(page).getByRole('tab', { name: 'Due' });
    expect(due.getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(due, { key: 'ArrowRight' });
    const recall = within(page).getByRole('tab', { name: 'Recall list' });
    expect(recall.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(recall);
    const list = await within(page).findByRole('list', { name: 'Patients to call' });
    await waitFor(() => expect(list.textContent).toContain('no phone'));
    expect(list.textContent).toContain('Colorectal cancer screening (overdue since 2026-11-01)');
  }, 20_000);

  it('exports the CSV of what is shown: a download in a browser', async () => {
    const made: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => (made.push(b), 'blob:csv'));
    URL.revokeObjectURL = vi.fn();
    const backend = practice();
    render(Shell, { backend });
    const page = await openPopulation();
    await within(page).findByRole('list', { name: 'Patients due' });
    await fireEvent.click(within(page).getByRole('button', { name: 'Export CSV' }));
    await within(page).findByText('Downloaded due-all-2026-12-01-to-2026-12-31.csv.');
    // jsdom's Blob has no text(); its FileReader reads it.
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(made[0]!);
    });
    expect(text).toBe(dueListAnswer().csv);
    expect(made[0]!.type).toBe('text/csv');
  });

  it('in the desktop, saves through the save dialog and the host, as the filter shows', async () => {
    const backend = practice().on('app.save_list', ({ file }) => ({ file, bytes: 10 }));
    backend.pickedPath = '/home/me/recall.csv';
    render(Shell, { backend });
    const page = await openPopulation();
    await within(page).findByRole('list', { name: 'Patients due' });
    await fireEvent.change(within(page).getByLabelText('Rule'), {
      target: { value: 'colorectal_cancer_screening' },
    });
    await fireEvent.click(within(page).getByRole('tab', { name: 'Recall list' }));
    await fireEvent.click(within(page).getByRole('button', { name: 'Export CSV' }));
    await within(page).findByText('Saved /home/me/recall.csv.');
    expect(backend.callsOf('app.save_list')).toEqual([
      {
        list: 'recall',
        file: '/home/me/recall.csv',
        from: expect.stringMatching(/^\d{4}-\d{2}-01$/),
        to: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        rules: ['colorectal_cancer_screening'],
      },
    ]);
  });

  it('computes a chosen measure: counts, the inverse wording, and the patients behind a count', async () => {
    const backend = practice();
    render(Shell, { backend });
    const page = await openMeasures();
    expect(backend.callsOf('measure.evaluate')).toEqual([]);
    await fireEvent.click(within(page).getByRole('button', { name: 'Last year' }));
    await fireEvent.click(within(page).getByRole('button', { name: /^CMS122 Diabetes/ }));
    const table = await within(page).findByRole('table', { name: 'Populations of CMS122' });
    const year = new Date().getFullYear() - 1;
    expect(backend.callsOf('measure.evaluate')).toEqual([
      { measure: 'CMS122', from: `${year}-01-01`, to: `${year}-12-31` },
    ]);
    const row = (name: string) =>
      within(table)
        .getAllByRole('row')
        .find((r) => r.querySelector('th')?.textContent?.trim() === name)!;
    expect(within(row('Initial population')).getByRole('button').textContent).toBe('3');
    expect(within(row('Denominator')).getByRole('button').textContent).toBe('3');
    expect(within(row('Denominator exclusions')).getByRole('button').textContent).toBe('1');
    expect(row('Denominator exceptions').textContent).toContain('0');
    expect(within(row('Numerator')).getByRole('button').textContent).toBe('1');
    expect(row('Performance rate').textContent).toContain('50.0%');
    expect(page.textContent).toContain('Lower is better');

    // The gaps to close of an inverse measure: the numerator, with what would close it.
    const gaps = within(page).getByRole('list', { name: /^Gaps to close/ });
    await waitFor(() => expect(gaps.textContent).toContain('no HbA1c or GMI in the period'));
    expect(gaps.textContent).not.toContain('Sample, Bob');
    expect(page.textContent).toContain('To close: An HbA1c (or GMI) in the period');

    await fireEvent.click(
      within(table).getByRole('button', { name: 'Denominator exclusions: 1 patient' }),
    );
    const excluded = within(page).getByRole('list', { name: /^Denominator exclusions/ });
    await waitFor(() => expect(excluded.textContent).toContain('Example, Cy'));
    expect(excluded.textContent).toContain('0000003');
    expect(excluded.textContent).toContain("hospice care assessment 'yes'");
    await fireEvent.click(
      excluded.querySelector<HTMLElement>('[aria-label="Open the chart of Example, Cy"]')!,
    );
    await screen.findByRole('region', { name: 'Patient banner' });
  }, 20_000);

  it('says plainly what to do when value sets are missing, and computes nothing', async () => {
    const backend = practice(undefined, ['CMS122', 'CMS165', 'CMS125', 'CMS130', 'CMS138']);
    render(Shell, { backend });
    const page = await openMeasures();
    expect(page.textContent).toContain('No quality measure can be computed yet');
    expect(page.textContent).toContain('chartkeep import valuesets DIR');
    await fireEvent.click(within(page).getByRole('button', { name: /^CMS122 Diabetes/ }));
    await within(page).findByText(/CMS122 cannot be computed:/);
    expect(within(page).queryByRole('alert')).toBeNull();
    expect(backend.callsOf('measure.evaluate')).toEqual([]);
  });

  it('exports the measure shown as CSV, one row per patient and population', async () => {
    const made: Blob[] = [];
    URL.createObjectURL = vi.fn((b: Blob) => (made.push(b), 'blob:csv'));
    URL.revokeObjectURL = vi.fn();
    render(Shell, { backend: practice() });
    const page = await openMeasures();
    await fireEvent.click(within(page).getByRole('button', { name: 'Export CSV' }));
    await within(page).findByText('Choose a measure first: the CSV holds the measure shown.');
    await fireEvent.click(within(page).getByRole('button', { name: /^CMS122 Diabetes/ }));
    await within(page).findByRole('table', { name: 'Populations of CMS122' });
    await fireEvent.click(within(page).getByRole('button', { name: 'Export CSV' }));
    const year = new Date().getFullYear();
    await within(page).findByText(`Downloaded measure-CMS122-${year}-01-01-to-${year}-12-31.csv.`);
    const text = await blobText(made.at(-1)!);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('measure,period,group,population,patient_id,mrn,name,because');
    expect(lines).toContain(
      `CMS122,${year}-01-01..${year}-12-31,1,Gaps to close,p1,0000001,"Testperson, Ann",no HbA1c or GMI in the period`,
    );
  });

  it('in the desktop, saves the measure shown through the save dialog and the host', async () => {
    const backend = practice().on('app.save_list', ({ file }) => ({ file, bytes: 10 }));
    backend.pickedPath = '/home/me/m.csv';
    render(Shell, { backend });
    const page = await openMeasures();
    await fireEvent.click(within(page).getByRole('button', { name: /^CMS122 Diabetes/ }));
    await within(page).findByRole('table', { name: 'Populations of CMS122' });
    await fireEvent.click(within(page).getByRole('button', { name: 'Export CSV' }));
    await within(page).findByText('Saved /home/me/m.csv.');
    const [call] = backend.callsOf('app.save_list');
    expect(call).toMatchObject({ list: 'measure', file: '/home/me/m.csv' });
    expect(call?.text).toContain('measure,period,group,population,patient_id,mrn,name,because');
  });
});
