import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { status } from '../../lib/api/fixtures';
import Shell from './Shell.svelte';

describe('first run', () => {
  afterEach(() => cleanup());

  it('shows the recovery code alone until the user says it is kept, then the login', async () => {
    let created = false;
    const backend = new FakeBackend()
      .on('app.status', () =>
        created ? status() : status({ state: 'none', key_mode: null, practice_id: null }),
      )
      .on('app.create', () => {
        created = true;
        return { recovery_code: 'AAAA-BBBB-CCCC', key_mode: 'passphrase' };
      });
    render(Shell, { backend });
    await fireEvent.input(await screen.findByLabelText('Administrator user name'), {
      target: { value: 'admin' },
    });
    await fireEvent.input(screen.getByLabelText('Administrator password'), {
      target: { value: 'pw-123456' },
    });
    await fireEvent.input(screen.getByLabelText('Administrator password again'), {
      target: { value: 'pw-123456' },
    });
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'ph' } });
    await fireEvent.input(screen.getByLabelText('Passphrase again'), { target: { value: 'ph' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Create the practice' }));

    const code = await screen.findByLabelText('Recovery code');
    expect(code.textContent).toBe('AAAA-BBBB-CCCC');
    expect(backend.callsOf('app.create')).toEqual([
      { admin_name: 'admin', admin_password: 'pw-123456', passphrase: 'ph' },
    ]);
    expect(screen.queryByRole('radio', { name: 'Open a practice folder' })).toBeNull();
    const proceed = screen.getByRole('button', { name: 'Continue' }) as HTMLButtonElement;
    expect(proceed.disabled).toBe(true);
    await fireEvent.click(screen.getByLabelText('I have printed or saved it'));
    expect(proceed.disabled).toBe(false);
    await fireEvent.click(proceed);
    expect(await screen.findByLabelText('User name')).toBeTruthy();
  });

  it('offers only a passphrase when no keychain answered', async () => {
    const backend = new FakeBackend().on('app.status', () =>
      status({ state: 'none', key_mode: null, keychain_available: false }),
    );
    render(Shell, { backend });
    const keychain = (await screen.findByLabelText(/OS keychain/)) as HTMLInputElement;
    expect(keychain.disabled).toBe(true);
    expect(screen.getByLabelText('Passphrase')).toBeTruthy();
  });
});
