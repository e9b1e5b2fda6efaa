import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../../../lib/api/fake-backend';
import { session, status, summary } from '../../../lib/api/fixtures';
import type { ObservationRecord, VitalsForm } from '../../../lib/api/types.gen';
import Shell from '../../app/Shell.svelte';

// jsdom has no canvas or matchMedia; uPlot draws into a canvas that does nothing here.
// What the test reads is the table beside each plot, as a screen reader would.
beforeAll(() => {
  vi.stubGlobal('matchMedia', () => ({
    matches: false,
    addEventListener() {},
    removeEventListener() {},
    addListener() {},
    removeListener() {},
  }));
  const noop = new Proxy(
    {},
    { get: (_t, p) => (p === 'measureText' ? () => ({ width: 0 }) : () => {}) },
  );
  HTMLCanvasElement.prototype.getContext = (() => noop) as never;
});

const meta = { created_by: 'u1', created_change: 'c1', updated_by: 'u1', retracted: false };
const codes: Record<string, [string, string]> = {
  weight: ['29463-7', 'kg'],
  height: ['8302-2', 'cm'],
  systolic: ['8480-6', 'mm[Hg]'],
  diastolic: ['8462-4', 'mm[Hg]'],
};

/** A chart whose vitals the fake keeps in memory, as `vitals.record` would save them. */
function practice() {
  const saved: ObservationRecord[] = [
    {
      ...meta,
      id: 'o0',
      created_at: 1,
      updated_at: 1,
      category: 'vital',
      code: '29463-7',
      value_num: 80,
      unit: 'kg',
      effective: '2026-01-05T10:00:00Z',
    },
  ];
  let n = 0;
  return new FakeBackend()
    .on('app.status', () => status({ session: session() }))
    .on('patient.search', () => [{ id: 'p1', name: 'Testperson, Ann', mrn: '0000001' }])
    .on('chart.summary', () => summary())
    .on('observation.list', () => saved)
    .on('observation.series', ({ code }) =>
      saved
        .filter((o) => o.code === code)
        .map((o) => ({ id: o.id, effective: o.effective!, value_num: o.value_num, unit: o.unit })),
    )
    .on('vitals.record', (form: VitalsForm) => {
      const out: ObservationRecord[] = [];
      for (const [key, [code, unit]] of Object.entries(codes)) {
        const v = form[key as keyof VitalsForm];
        if (typeof v !== 'number') continue;
        out.push({
          ...meta,
          id: `o${++n}`,
          created_at: 2,
          updated_at: 2,
          category: 'vital',
          code,
          unit,
          value_num: v,
          effective: '2026-02-05T10:00:00Z',
        });
      }
      saved.push(...out);
      return out;
    });
}

async function openVitals() {
  const field = await screen.findByLabelText('Search patients');
  await fireEvent.input(field, { target: { value: 'ann' } });
  await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 patient found'));
  await fireEvent.keyDown(field, { key: 'Enter' });
  await screen.findByRole('region', { name: 'Patient banner' });
  const nav = screen.getByRole('navigation', { name: 'Chart sections' });
  await fireEvent.click(within(nav).getByRole('button', { name: 'Vitals' }));
  return screen.findByRole('form', { name: 'Record vitals' });
}

const type = (label: string, value: string) =>
  fireEvent.input(screen.getByRole('textbox', { name: label }), { target: { value } });

describe('the vitals section', () => {
  afterEach(() => cleanup());

  it('shows BMI as typed, refuses 700 kg, asks to confirm an unusual value, and the plot table updates on save', async () => {
    const backend = practice();
    render(Shell, { backend });
    const form = await openVitals();
    const weights = await screen.findByRole('region', { name: 'Weight values' });
    expect(within(weights).getAllByRole('row')).toHaveLength(2); // header + 80 kg

    await type('Weight', '70');
    await type('Height', '175');
    expect(within(form).getByText(/22\.9 kg\/m²/)).toBeTruthy();

    await type('Weight', '700');
    expect(await within(form).findByText(/Weight of 700 kg cannot be right/)).toBeTruthy();
    const save = within(form).getByRole('button', { name: 'Save vitals' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true);

    await type('Weight', '300');
    expect(await within(form).findByText(/Weight of 300 kg is unusual/)).toBeTruthy();
    expect(save.disabled).toBe(true);
    await fireEvent.click(within(form).getByLabelText(/The values are right/));
    expect(save.disabled).toBe(false);

    await fireEvent.change(within(form).getByLabelText('Weight unit'), { target: { value: 'lb' } });
    await waitFor(() => expect(within(form).queryByText(/is unusual/)).toBeNull());
    await fireEvent.click(save);
    await within(form).findByText('Saved 2 measures.');
    expect(backend.callsOf('vitals.record')).toEqual([
      expect.objectContaining({ patient: 'p1', weight: 136.078, height: 175 }),
    ]);
    await waitFor(() => expect(within(weights).getAllByRole('row')).toHaveLength(3));
    expect(weights.textContent).toContain('136.1');
  }, 20_000);
});
