import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeBackend } from '../../lib/api/fake-backend';
import { session, status } from '../../lib/api/fixtures';
import { device, onSync, peer, syncStatus } from '../../lib/api/sync-fixtures';
import type { DeviceInfo, SyncStatus } from '../../lib/api/sync-types';
import type { Every } from '../../lib/state/sync-status.svelte';
import Shell from '../app/Shell.svelte';

const admin = session({
  user: 'admin',
  display_name: 'Admin',
  role: 'administrator',
  permissions: ['demographics', 'edit_demographics', 'resolve_conflicts', 'administer'],
});

/** The status bar's 10-second timer, fired by the test. */
function manualTimer() {
  const fns: (() => void)[] = [];
  const every: Every = (_ms, fn) => {
    fns.push(fn);
    return () => fns.splice(fns.indexOf(fn), 1);
  };
  return { every, tick: () => fns.forEach((f) => f()) };
}

function practice(sess = admin) {
  let current: SyncStatus = syncStatus({
    peers: [
      peer(),
      peer({
        device: '9999888877776666',
        device_grouped: '9999 8888 7777 6666',
        name: 'Laptop',
        connected: false,
        last_contact: '2026-03-01T08:00:00Z',
        last_error: 'connection refused',
        pending_in: 4,
        pending_out: 12,
      }),
    ],
  });
  let devices: DeviceInfo[] = [
    device(),
    device({
      id: 'd2',
      device: 'eeee5555ffff6666',
      device_grouped: 'eeee 5555 ffff 6666',
      name: 'Exam 2',
      this_workstation: false,
    }),
  ];
  const backend = new FakeBackend()
    .on('app.status', () => status({ session: sess }))
    .on('patient.search', () => []);
  onSync(backend, 'sync.status', () => current);
  onSync(backend, 'device.list', () => devices);
  onSync(backend, 'device.remove', ({ device: id }) => {
    devices = devices.map((d) => (d.device === id ? { ...d, removed: true } : d));
    return devices.find((d) => d.device === id)!;
  });
  onSync(backend, 'sync.invite', () => ({
    code: '4829-1736',
    expires_at: new Date(Date.now() + 10 * 60_000).toISOString(),
    addresses: ['192.168.1.20:8421', '10.0.0.5:8421'],
  }));
  onSync(backend, 'sync.add_peer', ({ address }) => ({ addresses: [address] }));
  return {
    backend,
    set: (over: Partial<SyncStatus>) => (current = { ...current, ...over }),
  };
}

async function openSync() {
  const nav = await screen.findByRole('navigation', { name: 'Main' });
  await fireEvent.click(within(nav).getByRole('button', { name: 'Sync' }));
  return screen.findByRole('main', { name: 'Sync' });
}

describe('the status bar’s sync line', () => {
  afterEach(() => cleanup());

  it('follows sync.status at every tick: synced, syncing, offline since, to review', async () => {
    const { backend, set } = practice();
    const timer = manualTimer();
    render(Shell, { backend, pollEvery: timer.every });
    expect(await screen.findByRole('button', { name: 'Synced' })).toBeTruthy();
    set({ state: 'syncing' });
    timer.tick();
    expect(await screen.findByRole('button', { name: 'Syncing…' })).toBeTruthy();
    const since = new Date();
    since.setHours(7, 45, 0, 0);
    set({ state: 'offline', offline_since: since.toISOString(), open_conflicts: 2 });
    timer.tick();
    const line = await screen.findByRole('button', { name: 'Offline since 07:45 · 2 to review' });
    await fireEvent.click(line);
    expect(await screen.findByRole('main', { name: 'Sync' })).toBeTruthy();
  });

  it('says so when the sync status cannot be read', async () => {
    const { backend } = practice();
    backend.fail('sync.status', 'internal_error', 'The sync service is not running.');
    render(Shell, { backend, pollEvery: manualTimer().every });
    expect(await screen.findByRole('button', { name: 'Sync status unavailable' })).toBeTruthy();
  });
});

describe('the Sync screen', () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('shows this workstation and each peer’s state, pending entries and last error', async () => {
    render(Shell, { backend: practice().backend, pollEvery: manualTimer().every });
    const page = await openSync();
    const mine = await within(page).findByRole('region', { name: 'This workstation' });
    expect(mine.textContent).toContain('Front desk');
    expect(mine.textContent).toContain('aaaa 1111 bbbb 2222 cccc 3333 dddd 4444');
    const peers = within(page).getByRole('region', { name: 'Other workstations' });
    const [, exam, laptop] = within(peers).getAllByRole('row');
    expect(exam!.textContent).toContain('Exam 2');
    expect(exam!.textContent).toContain('Connected');
    expect(laptop!.textContent).toContain('Last seen');
    const cells = within(laptop!)
      .getAllByRole('cell')
      .map((c) => c.textContent?.trim());
    expect(cells.slice(3)).toEqual(['4', '12', 'connection refused']);
  });

  it('lists refused entries when a peer sent any', async () => {
    const { backend, set } = practice();
    set({
      rejected: [
        {
          at: '2026-03-01T09:00:00Z',
          device: '9999 8888 7777 6666',
          seq: 17,
          code: 'ledger_bad_signature',
          message: 'The signature of commit 17 does not verify.',
        },
      ],
    });
    render(Shell, { backend, pollEvery: manualTimer().every });
    const page = await openSync();
    const rejected = await within(page).findByRole('region', { name: 'Refused entries (1)' });
    expect(rejected.textContent).toContain('The signature of commit 17 does not verify.');
  });

  it('removes a workstation only after a confirmation that says what removal does', async () => {
    const { backend } = practice();
    render(Shell, { backend, pollEvery: manualTimer().every });
    await openSync();
    const devices = await screen.findByRole('region', { name: 'Workstations of this practice' });
    // This workstation cannot remove itself.
    await within(devices).findByRole('button', { name: 'Remove workstation Exam 2' });
    expect(
      within(devices).queryByRole('button', { name: 'Remove workstation Front desk' }),
    ).toBeNull();

    await fireEvent.click(
      within(devices).getByRole('button', { name: 'Remove workstation Exam 2' }),
    );
    const dialog = within(devices).getByRole('alertdialog');
    expect(dialog.textContent?.replace(/\s+/g, ' ').trim()).toContain(
      "Remove workstation 'Exam 2'? It will be refused by every workstation that learns of this. Its past entries stay.",
    );
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(within(devices).queryByRole('alertdialog')).toBeNull();
    expect(backend.callsOf('device.remove')).toHaveLength(0);

    await fireEvent.click(
      within(devices).getByRole('button', { name: 'Remove workstation Exam 2' }),
    );
    await fireEvent.click(within(devices).getByRole('button', { name: 'Remove Exam 2' }));
    await waitFor(() =>
      expect(within(devices).getByRole('status').textContent).toContain(
        'Removed workstation Exam 2',
      ),
    );
    expect(backend.callsOf('device.remove')).toEqual([{ device: 'eeee5555ffff6666' }]);
    const row = within(devices)
      .getAllByRole('row')
      .find((r) => r.textContent?.includes('Exam 2'))!;
    expect(row.textContent).toContain('Removed');
    expect(within(devices).queryByRole('button', { name: 'Remove workstation Exam 2' })).toBeNull();
  });

  it('a pairing code shows large with the addresses and counts down to its expiry', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(new Date('2026-03-01T10:00:00Z'));
    render(Shell, { backend: practice().backend, pollEvery: manualTimer().every });
    await openSync();
    await fireEvent.click(await screen.findByRole('button', { name: 'Make a pairing code' }));
    expect((await screen.findByLabelText('Pairing code')).textContent).toBe('4829-1736');
    const panel = screen.getByRole('region', { name: 'Add workstation' });
    expect(panel.textContent).toContain('192.168.1.20:8421');
    expect(panel.textContent).toContain('10.0.0.5:8421');
    const timer = screen.getByRole('timer', { name: 'Time left' });
    expect(timer.textContent).toContain('Expires in 10:00');
    await vi.advanceTimersByTimeAsync(18_000);
    expect(timer.textContent).toContain('Expires in 9:42');
    await vi.advanceTimersByTimeAsync(9 * 60_000 + 42_000);
    expect(within(panel).getByRole('alert').textContent).toContain('This code has expired');
    expect(screen.queryByLabelText('Pairing code')).toBeNull();
  });

  it('adds a typed address after checking it looks like host:port', async () => {
    const { backend } = practice();
    render(Shell, { backend, pollEvery: manualTimer().every });
    await openSync();
    const field = await screen.findByLabelText('Address of another workstation (host:port)');
    const form = screen.getByRole('form', { name: 'Add address' });
    await fireEvent.input(field, { target: { value: 'exam room two' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Add' }));
    expect(within(form).getByRole('alert').textContent).toContain('host:port');
    expect(backend.callsOf('sync.add_peer')).toHaveLength(0);
    await fireEvent.input(field, { target: { value: '192.168.1.30:8421' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Add' }));
    await waitFor(() =>
      expect(backend.callsOf('sync.add_peer')).toEqual([{ address: '192.168.1.30:8421' }]),
    );
  });

  it('a role that does not administer sees the state but cannot remove, pair or add addresses', async () => {
    render(Shell, { backend: practice(session()).backend, pollEvery: manualTimer().every });
    const page = await openSync();
    const devices = await within(page).findByRole('region', {
      name: 'Workstations of this practice',
    });
    await within(devices).findByText('Exam 2');
    expect(within(page).queryByRole('button', { name: /^Remove/ })).toBeNull();
    expect(within(page).queryByRole('button', { name: 'Make a pairing code' })).toBeNull();
    expect(within(page).queryByRole('form', { name: 'Add address' })).toBeNull();
  });
});
