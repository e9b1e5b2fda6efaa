import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { FakeBackend } from '../api/fake-backend';
import { checkAnswer, shownAlert } from '../api/fixtures';
import { EventBus } from '../events';
import type { AlertOverrides } from '../services/cds';
import { SafetyCheckState } from './safety-check.svelte';

const item = { type: 'medication' as const, name: 'Ibuprofen', dose: '400 mg' };
const info = shownAlert({ key: 'info-1', severity: 'informational', why: 'with lisinopril' });

function setup(...answers: ReturnType<typeof checkAnswer>[]) {
  const backend = new FakeBackend();
  let n = 0;
  backend.on('cds.check', () => answers[Math.min(n++, answers.length - 1)]!);
  const check = new SafetyCheckState({ backend, events: new EventBus() }, 'p1');
  const saves: (AlertOverrides | null)[] = [];
  return { backend, check, saves };
}

/** Lets the pending check answer and the question appear. */
async function asked(check: SafetyCheckState) {
  for (let i = 0; i < 20 && !check.question; i++) await Promise.resolve();
  return check.question;
}

describe('the safety check before a save', () => {
  it('saves at once with no alert, and checks the item for the patient', async () => {
    const { backend, check, saves } = setup(checkAnswer());
    const saved = await check.save(item, 'medication', async (o) => saves.push(o));
    expect(saved).toBe(true);
    expect(saves).toEqual([null]);
    expect(backend.callsOf('cds.check')).toEqual([{ patient: 'p1', item }]);
    expect(check.notice).toBeNull();
  });

  it('does not stop for informational alerts or unchecked items, and shows them after', async () => {
    const unchecked = [
      { message: 'could not check interactions for "Tea"', role: 'candidate', text: 'Tea' },
    ] as const;
    const { check, saves } = setup(checkAnswer({ alerts: [info], unchecked: [...unchecked] }));
    expect(await check.save(item, 'medication', async (o) => saves.push(o))).toBe(true);
    expect(saves).toEqual([null]);
    expect(check.question).toBeNull();
    expect(check.notice?.informational.map((a) => a.key)).toEqual(['info-1']);
    expect(check.notice?.unchecked[0]?.message).toContain('Tea');
  });

  it('says which alerts were answered before and are not asked again', async () => {
    const suppressed = [
      {
        key: 'k',
        rule: 'r',
        why: 'ibuprofen with warfarin',
        reason: 'INR checked',
        by_name: 'Dr Lee',
        at: '2026-12-01T09:00:00Z',
      },
    ];
    const { check, saves } = setup(checkAnswer({ suppressed }));
    expect(await check.save(item, 'medication', async (o) => saves.push(o))).toBe(true);
    expect(saves).toEqual([null]);
    expect(check.notice?.suppressed).toEqual(suppressed);
  });

  it('waits on an interruptive alert; no reason, no save; a reason saves with the keys', async () => {
    const { check, saves } = setup(checkAnswer({ alerts: [shownAlert(), info] }));
    const done = check.save(item, 'medication', async (o) => saves.push(o));
    const q = await asked(check);
    expect(q?.interruptive.map((a) => a.key)).toEqual([shownAlert().key]);
    expect(q?.informational.map((a) => a.key)).toEqual(['info-1']);
    expect(check.answer('   ')).toBe(false);
    expect(saves).toEqual([]);
    expect(check.answer('short course, INR checked')).toBe(true);
    expect(await done).toBe(true);
    expect(saves).toEqual([{ reason: 'short course, INR checked', alerts: [shownAlert().key] }]);
    expect(check.question).toBeNull();
  });

  it('cancel goes back without saving', async () => {
    const { check, saves } = setup(checkAnswer({ alerts: [shownAlert()] }));
    const done = check.save(item, 'medication', async (o) => saves.push(o));
    await asked(check);
    check.cancel();
    expect(await done).toBe(false);
    expect(saves).toEqual([]);
    expect(check.question).toBeNull();
  });

  it('asks again when the save is refused for an alert that came up meanwhile', async () => {
    const later = shownAlert({ key: 'new-alert', why: 'a new allergy was recorded' });
    const { backend, check, saves } = setup(
      checkAnswer({ alerts: [shownAlert()] }),
      checkAnswer({ alerts: [shownAlert(), later] }),
    );
    let refused = false;
    const done = check.save(item, 'medication', async (o) => {
      if (!refused) {
        refused = true;
        throw new ApiError('alert_needs_override', '1 interruptive alert must be answered');
      }
      saves.push(o);
    });
    await asked(check);
    check.answer('first reason');
    for (let i = 0; i < 50 && !check.question?.again; i++) await Promise.resolve();
    expect(check.question?.again).toBe(true);
    expect(check.question?.interruptive.map((a) => a.key)).toEqual([shownAlert().key, 'new-alert']);
    check.answer('second reason');
    expect(await done).toBe(true);
    expect(saves).toEqual([{ reason: 'second reason', alerts: [shownAlert().key, 'new-alert'] }]);
    expect(backend.callsOf('cds.check')).toHaveLength(2);
  });

  it('passes other save errors on to the form', async () => {
    const { check } = setup(checkAnswer());
    await expect(
      check.save(item, 'medication', async () => {
        throw new ApiError('invalid_input', 'Dose is not a dose');
      }),
    ).rejects.toThrow('Dose is not a dose');
  });
});
