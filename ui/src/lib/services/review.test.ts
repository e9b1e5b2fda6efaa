import { describe, expect, it } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { allergy } from '../api/fixtures';
import { conflict } from '../api/sync-fixtures';
import { EventBus, type AppEvents } from '../events';
import { resolveConflict } from './review';

function setup() {
  const backend = new FakeBackend().on('conflict.resolve', () => allergy() as never);
  const events = new EventBus<AppEvents>();
  const heard: string[] = [];
  events.on('conflict-resolved', (e) => heard.push(`conflict-resolved ${e.row} ${e.field}`));
  events.on('record-saved', (e) => heard.push(`record-saved ${e.kind} ${e.patient}`));
  events.on('patient-saved', (e) => heard.push(`patient-saved ${e.patient}`));
  return { ctx: { backend, events }, backend, heard };
}

describe('resolveConflict', () => {
  it('sends the kept change and tells the chart holding the record to reload', async () => {
    const { ctx, backend, heard } = setup();
    await resolveConflict(ctx, conflict(), { choose: 'ch2' });
    expect(backend.callsOf('conflict.resolve')).toEqual([
      { row: 'a1', field: 'severity', choose: 'ch2' },
    ]);
    expect(heard).toEqual(['conflict-resolved a1 severity', 'record-saved allergy p1']);
  });

  it('a merged value on demographics reloads the patient; a staff account reloads no chart', async () => {
    const { ctx, backend, heard } = setup();
    await resolveConflict(ctx, conflict({ row: 'p1', entity: 'patient', field: 'phones' }), {
      value: ['555-0100'],
    });
    await resolveConflict(
      ctx,
      conflict({ row: 'u1', entity: 'user', field: 'role', patient: null }),
      {
        choose: 'ch1',
      },
    );
    expect(backend.callsOf('conflict.resolve')[0]).toEqual({
      row: 'p1',
      field: 'phones',
      value: ['555-0100'],
    });
    expect(heard).toEqual([
      'conflict-resolved p1 phones',
      'patient-saved p1',
      'conflict-resolved u1 role',
    ]);
  });

  it('announces nothing when the engine refuses', async () => {
    const { ctx, backend, heard } = setup();
    backend.fail('conflict.resolve', 'forbidden', 'A nurse may not run conflict.resolve on user.');
    await expect(resolveConflict(ctx, conflict(), { choose: 'ch1' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect(heard).toEqual([]);
  });
});
