import { describe, expect, it, vi } from 'vitest';
import { EventBus } from './events';

describe('EventBus', () => {
  it('delivers a payload to every listener of that event only', () => {
    const bus = new EventBus();
    const saved = vi.fn();
    const locked = vi.fn();
    bus.on('record-saved', saved);
    bus.on('session-locked', locked);
    bus.emit('record-saved', { kind: 'allergy', patient: 'p1', id: 'a1' });
    expect(saved).toHaveBeenCalledWith({ kind: 'allergy', patient: 'p1', id: 'a1' });
    expect(locked).not.toHaveBeenCalled();
  });

  it('stops delivering after unsubscribe', () => {
    const bus = new EventBus();
    const saved = vi.fn();
    const off = bus.on('patient-saved', saved);
    off();
    bus.emit('patient-saved', { patient: 'p1' });
    expect(saved).not.toHaveBeenCalled();
  });
});
