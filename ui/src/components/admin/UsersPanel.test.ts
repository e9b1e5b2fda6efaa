import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { session, status } from '../../lib/api/fixtures';
import type { UserInfo } from '../../lib/api/types.gen';
import Shell from '../app/Shell.svelte';

const admin = session({ user: 'admin', role: 'administrator', permissions: ['administer'] });

describe('Users and roles', () => {
  afterEach(() => cleanup());

  it('renames one of two accounts given the same user name, by its id', async () => {
    const kim = (id: string, role: string): UserInfo => ({
      id,
      name: 'kim',
      display_name: null,
      role,
      active: true,
      retracted: false,
      version: [`v-${id}`],
    });
    const backend = new FakeBackend()
      .on('app.status', () => status({ session: admin }))
      .on('patient.search', () => [])
      .on('user.list', () => [kim('u1', 'nurse'), kim('u2', 'billing')])
      .on('user.update', (u) => ({ ...kim('u2', 'billing'), name: u.new_name ?? 'kim' }));
    render(Shell, { backend });
    await fireEvent.click(await screen.findByRole('button', { name: 'Administration' }));
    const rows = await screen.findAllByRole('button', { name: 'Edit kim' });
    await fireEvent.click(rows[1]!);
    const form = screen.getByRole('form', { name: 'Edit kim' });
    await fireEvent.input(within(form).getByLabelText('User name'), {
      target: { value: 'kim.b' },
    });
    await fireEvent.click(within(form).getByRole('button', { name: 'Save kim' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('Saved kim.b'));
    expect(backend.callsOf('user.update')).toEqual([
      { id: 'u2', version: ['v-u2'], new_name: 'kim.b' },
    ]);
  });
});
