import { describe, expect, it } from 'vitest';
import { hasPermission, mayCall } from './permissions';

describe('permissions', () => {
  const nurse = { permissions: ['demographics', 'read_chart', 'write_chart'] };
  const frontDesk = { permissions: ['demographics', 'edit_demographics'] };

  it('lets a role run a command any of whose permissions it has', () => {
    expect(mayCall(nurse, 'allergy.add')).toBe(true);
    expect(mayCall(frontDesk, 'allergy.add')).toBe(false);
    expect(mayCall(frontDesk, 'patient.create')).toBe(true);
    expect(mayCall(nurse, 'user.list')).toBe(false);
  });

  it('allows no permission without a session', () => {
    expect(hasPermission(null, 'demographics')).toBe(false);
  });
});
