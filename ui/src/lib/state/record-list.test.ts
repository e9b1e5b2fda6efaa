import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { allergy } from '../api/fixtures';
import { EventBus } from '../events';
import { listAllergies } from '../services/allergies';
import { RecordListState } from './record-list.svelte';

describe('RecordListState', () => {
  it('reloads on a save of its kind and chart, not of others', async () => {
    const backend = new FakeBackend().on('allergy.list', () => [allergy()]);
    const events = new EventBus();
    const ctx = { backend, events };
    const list = new RecordListState(ctx, 'allergy', 'p1', () => listAllergies(ctx, 'p1'));
    await list.load();
    expect(list.items).toHaveLength(1);
    events.emit('record-saved', { kind: 'problem', patient: 'p1', id: 'x' });
    events.emit('record-saved', { kind: 'allergy', patient: 'p2', id: 'x' });
    expect(backend.callsOf('allergy.list')).toHaveLength(1);
    events.emit('record-saved', { kind: 'allergy', patient: 'p1', id: 'x' });
    expect(backend.callsOf('allergy.list')).toHaveLength(2);
    list.dispose();
    events.emit('record-saved', { kind: 'allergy', patient: 'p1', id: 'x' });
    expect(backend.callsOf('allergy.list')).toHaveLength(2);
  });

  it('keeps the last list and shows the error when a reload fails', async () => {
    let fail = false;
    const backend = new FakeBackend().on('allergy.list', () => {
      if (fail) throw Object.assign(new Error('x'), {});
      return [allergy()];
    });
    const ctx = { backend, events: new EventBus() };
    const list = new RecordListState(ctx, 'allergy', 'p1', () => listAllergies(ctx, 'p1'));
    await list.load();
    fail = true;
    await list.load();
    expect(list.items).toHaveLength(1);
    expect(list.error).not.toBeNull();
  });
});
