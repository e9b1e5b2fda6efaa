import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { status } from '../../lib/api/fixtures';
import { onSync } from '../../lib/api/sync-fixtures';
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

  it('joins a practice with a code and an address, then asks for a login', async () => {
    let joined = false;
    const backend = new FakeBackend().on('app.status', () =>
      joined ? status() : status({ state: 'none', key_mode: null, practice_id: null }),
    );
    onSync(backend, 'app.join', () => {
      joined = true;
      return {
        recovery_code: 'DDDD-EEEE-FFFF',
        key_mode: 'passphrase',
        practice_id: 'p1',
        received: 12,
        sync_error: null,
      };
    });
    render(Shell, { backend });
    await fireEvent.click(await screen.findByRole('radio', { name: 'Join a practice' }));
    await fireEvent.input(screen.getByLabelText('Pairing code'), {
      target: { value: '4829-1736' },
    });
    const address = screen.getByLabelText('Address of the workstation (host:port)');
    await fireEvent.input(address, { target: { value: 'front desk' } });
    expect(screen.getByRole('alert').textContent).toContain('host:port');
    await fireEvent.input(address, { target: { value: '192.168.1.20:8421' } });
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'ph' } });
    await fireEvent.input(screen.getByLabelText('Passphrase again'), { target: { value: 'ph' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Join the practice' }));
    // The new workstation's own recovery code, shown once, before anything else.
    expect((await screen.findByLabelText('Recovery code')).textContent).toBe('DDDD-EEEE-FFFF');
    await fireEvent.click(screen.getByLabelText('I have printed or saved it'));
    await fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    expect(await screen.findByLabelText('User name')).toBeTruthy();
    expect(backend.callsOf('app.join')).toEqual([
      { code: '4829-1736', address: '192.168.1.20:8421', passphrase: 'ph' },
    ]);
  });

  it('shows why a join failed (a wrong code) and keeps what was typed', async () => {
    const backend = new FakeBackend()
      .on('app.status', () => status({ state: 'none', key_mode: null, practice_id: null }))
      .fail(
        'app.join',
        'invalid_input',
        'The pairing code is wrong (2 tries left). Check it with the administrator.',
      );
    render(Shell, { backend });
    await fireEvent.click(await screen.findByRole('radio', { name: 'Join a practice' }));
    await fireEvent.input(screen.getByLabelText('Pairing code'), {
      target: { value: '1111-2222' },
    });
    await fireEvent.input(screen.getByLabelText('Address of the workstation (host:port)'), {
      target: { value: '192.168.1.20:8421' },
    });
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'ph' } });
    await fireEvent.input(screen.getByLabelText('Passphrase again'), { target: { value: 'ph' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Join the practice' }));
    expect((await screen.findByRole('alert')).textContent).toContain('2 tries left');
    expect((screen.getByLabelText('Pairing code') as HTMLInputElement).value).toBe('1111-2222');
  });
});
