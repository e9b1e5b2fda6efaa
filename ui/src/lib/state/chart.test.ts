import { beforeEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { allergy, patientView, summary } from '../api/fixtures';
import { EventBus } from '../events';
import { addAllergy } from '../services/allergies';
import { ChartState } from './chart.svelte';

describe('ChartState', () => {
  let backend: FakeBackend;
  let events: EventBus;

  beforeEach(() => {
    backend = new FakeBackend();
    events = new EventBus();
  });

  it('reloads the summary when an allergy of this patient is saved', async () => {
    let allergies = [] as ReturnType<typeof allergy>[];
    backend
      .on('chart.summary', () => summary({ allergies }))
      .on('allergy.add', (a) => {
        const rec = allergy({ substance: a.substance ?? null });
        allergies = [rec];
        return rec;
      });
    const chart = new ChartState({ backend, events }, () => true);
    await chart.open('p1');
    expect(chart.summary?.allergies).toEqual([]);
    await addAllergy({ backend, events }, { patient: 'p1', substance: 'Latex' });
    await Promise.resolve();
    await Promise.resolve();
    expect(chart.summary?.allergies.map((a) => a.substance)).toEqual(['Latex']);
  });

  it("ignores saves on another patient's chart", async () => {
    backend.on('chart.summary', () => summary());
    const chart = new ChartState({ backend, events }, () => true);
    await chart.open('p1');
    events.emit('record-saved', { kind: 'allergy', patient: 'p2', id: 'x' });
    expect(backend.callsOf('chart.summary')).toHaveLength(1);
  });

  it('reads demographics only for a role without read_chart', async () => {
    backend.on('patient.get', () => patientView());
    const chart = new ChartState({ backend, events }, () => false);
    await chart.open('p1');
    expect(chart.summary).toBeNull();
    expect(chart.patient?.name).toBe('Testperson, Ann');
    expect(backend.callsOf('chart.summary')).toHaveLength(0);
  });

  it('drops every patient detail on lock but remembers which chart was open', async () => {
    backend.on('chart.summary', () => summary());
    const chart = new ChartState({ backend, events }, () => true);
    await chart.open('p1');
    events.emit('session-locked', {});
    expect(chart.summary).toBeNull();
    expect(chart.patient).toBeNull();
    expect(chart.patientId).toBe('p1');
  });

  it('shows the engine error and keeps no stale chart of another patient', async () => {
    backend.fail('chart.summary', 'not_found', 'No such patient.');
    const chart = new ChartState({ backend, events }, () => true);
    await chart.open('p9');
    expect(chart.error?.code).toBe('not_found');
    expect(chart.summary).toBeNull();
  });
});
