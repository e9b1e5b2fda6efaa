import { describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../api/fake-backend';
import { allergy } from '../api/fixtures';
import { EventBus } from '../events';
import { changedFields, listAllergies, retractAllergy, updateAllergy } from './allergies';

describe('allergy services', () => {
  it('lists entries entered in error too, so they show struck through', async () => {
    const backend = new FakeBackend().on('allergy.list', () => [allergy()]);
    await listAllergies({ backend, events: new EventBus() }, 'p1');
    expect(backend.callsOf('allergy.list')).toEqual([{ patient: 'p1', include_retracted: true }]);
  });

  it('passes the version read on update and announces the save', async () => {
    const events = new EventBus();
    const saved = vi.fn();
    events.on('record-saved', saved);
    const backend = new FakeBackend().on('allergy.update', () => allergy({ severity: 'mild' }));
    await updateAllergy({ backend, events }, 'p1', { id: 'a1', version: ['v1'], severity: 'mild' });
    expect(backend.callsOf('allergy.update')).toEqual([
      { id: 'a1', version: ['v1'], severity: 'mild' },
    ]);
    expect(saved).toHaveBeenCalledWith({ kind: 'allergy', patient: 'p1', id: 'a1' });
  });

  it('sends the reason with a retraction and announces nothing when it fails', async () => {
    const events = new EventBus();
    const saved = vi.fn();
    events.on('record-saved', saved);
    const backend = new FakeBackend().fail('allergy.retract', 'forbidden');
    await expect(
      retractAllergy({ backend, events }, 'p1', 'a1', 'wrong patient', ['v1']),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect(backend.callsOf('allergy.retract')).toEqual([
      { id: 'a1', reason: 'wrong patient', version: ['v1'] },
    ]);
    expect(saved).not.toHaveBeenCalled();
  });
});

describe('changedFields', () => {
  it('keeps only what the user changed, null and absent being the same', () => {
    const read = allergy({ substance: 'Codeine', severity: 'moderate', reactions: ['nausea'] });
    expect(
      changedFields(read, {
        substance: 'Codeine',
        severity: 'mild',
        reactions: ['nausea'],
        note: null,
      }),
    ).toEqual({ severity: 'mild' });
  });
});
