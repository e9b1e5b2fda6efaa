import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import type { ProblemRecord } from '../api/types.gen';
import { EventBus } from '../events';
import { coverageService } from './coverage';
import { observationSeries } from './observations';
import { orderService, resultOrder } from './orders';
import { problemService } from './problems';
import { recordVitals } from './vitals';

const meta = {
  created_at: 0,
  created_by: 'u1',
  created_change: 'c1',
  updated_at: 0,
  updated_by: 'u1',
  retracted: false,
};
const problem = (over: Partial<ProblemRecord> = {}): ProblemRecord => ({
  ...meta,
  id: 'pr1',
  patient: 'p1',
  code: 'E11.9',
  display: 'Type 2 diabetes mellitus without complications',
  ...over,
});

function setup(backend: FakeBackend) {
  const events = new EventBus();
  const saved = vi.fn();
  events.on('record-saved', saved);
  return { ctx: { backend, events }, saved };
}

describe('record services', () => {
  it('names the kind in every command and lists entries entered in error too', async () => {
    const backend = new FakeBackend().on('problem.list', () => [problem()]);
    const { ctx } = setup(backend);
    expect(await problemService.list(ctx, 'p1')).toHaveLength(1);
    expect(backend.calls).toEqual([
      { command: 'problem.list', args: { patient: 'p1', include_retracted: true } },
    ]);
  });

  it('adds with the patient, updates with the version read, and announces each save', async () => {
    const backend = new FakeBackend()
      .on('coverage.add', (a) => ({ ...meta, id: 'cv1', payer: a.payer ?? null }))
      .on('coverage.update', (a) => ({ ...meta, id: a.id, payer: a.payer ?? null }));
    const { ctx, saved } = setup(backend);
    await coverageService.add(ctx, 'p1', { payer: 'Acme Health', member_id: 'M1' });
    await coverageService.update(ctx, 'p1', 'cv1', ['v7'], { payer: 'Acme' });
    expect(backend.callsOf('coverage.add')).toEqual([
      { payer: 'Acme Health', member_id: 'M1', patient: 'p1' },
    ]);
    expect(backend.callsOf('coverage.update')).toEqual([
      { payer: 'Acme', id: 'cv1', version: ['v7'] },
    ]);
    expect(saved.mock.calls).toEqual([
      [{ kind: 'coverage', patient: 'p1', id: 'cv1' }],
      [{ kind: 'coverage', patient: 'p1', id: 'cv1' }],
    ]);
  });

  it('retracts with the reason and version, and announces nothing on a refusal', async () => {
    const backend = new FakeBackend().fail('problem.retract', 'record_immutable');
    const { ctx, saved } = setup(backend);
    await expect(
      problemService.retract(ctx, 'p1', 'pr1', 'wrong chart', ['v1']),
    ).rejects.toMatchObject({ code: 'record_immutable' });
    expect(backend.callsOf('problem.retract')).toEqual([
      { id: 'pr1', reason: 'wrong chart', version: ['v1'] },
    ]);
    expect(saved).not.toHaveBeenCalled();
  });

  it('reads history by id', async () => {
    const backend = new FakeBackend().on('problem.history', () => []);
    await problemService.history(setup(backend).ctx, 'pr1');
    expect(backend.callsOf('problem.history')).toEqual([{ id: 'pr1' }]);
  });

  it('completes an order with its results and announces the order and the observations', async () => {
    const backend = new FakeBackend().on('order.result', (a) => ({
      order: { ...meta, id: a.id, status: 'completed' },
      results: [{ ...meta, id: 'o1', code: '4548-4', value_num: 7.1 }],
    }));
    const { ctx, saved } = setup(backend);
    await resultOrder(ctx, 'p1', 'or1', ['v2'], 'HbA1c high', [{ code: '4548-4', value_num: 7.1 }]);
    expect(backend.callsOf('order.result')).toEqual([
      {
        id: 'or1',
        version: ['v2'],
        summary: 'HbA1c high',
        results: [{ code: '4548-4', value_num: 7.1 }],
      },
    ]);
    expect(saved.mock.calls.map((c) => c[0].kind)).toEqual(['order', 'observation']);
    expect(orderService.kind).toBe('order');
  });

  it('announces a saved vitals form once, as observations of the chart', async () => {
    const backend = new FakeBackend().on('vitals.record', () => [
      { ...meta, id: 'o1' },
      { ...meta, id: 'o2' },
    ]);
    const { ctx, saved } = setup(backend);
    await recordVitals(ctx, { patient: 'p1', weight: 70 });
    expect(saved.mock.calls).toEqual([[{ kind: 'observation', patient: 'p1', id: 'o1' }]]);
  });

  it('returns a series oldest first whatever order it came in', async () => {
    const backend = new FakeBackend().on('observation.series', () => [
      { id: 'b', effective: '2026-02-01T00:00:00Z', value_num: 2 },
      { id: 'a', effective: '2025-02-01T00:00:00Z', value_num: 1 },
    ]);
    const points = await observationSeries(setup(backend).ctx, 'p1', '4548-4');
    expect(points.map((p) => p.id)).toEqual(['a', 'b']);
    expect(backend.callsOf('observation.series')).toEqual([{ patient: 'p1', code: '4548-4' }]);
  });
});
