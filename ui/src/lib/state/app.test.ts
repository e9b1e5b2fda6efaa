import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors';
import { FakeBackend } from '../api/fake-backend';
import { session, status } from '../api/fixtures';
import { EventBus } from '../events';
import { AppState } from './app.svelte';

describe('AppState', () => {
  let backend: FakeBackend;
  let bus: EventBus;

  beforeEach(() => {
    backend = new FakeBackend();
    bus = new EventBus();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows first-run, unlock, login or main from the host status', async () => {
    const app = new AppState(backend, bus);
    expect(app.screen).toBe('starting');
    backend.on('app.status', () => status({ state: 'none', key_mode: null }));
    await app.refresh();
    expect(app.screen).toBe('first-run');
    backend.on('app.status', () => status({ state: 'locked' }));
    await app.refresh();
    expect(app.screen).toBe('unlock');
    backend.on('app.status', () => status());
    await app.refresh();
    expect(app.screen).toBe('login');
    backend.on('app.status', () => status({ session: session() }));
    await app.refresh();
    expect(app.screen).toBe('main');
  });

  it('says the app is unreachable when app.status fails', async () => {
    backend.fail('app.status', 'internal_error');
    const app = new AppState(backend, bus);
    await expect(app.refresh()).rejects.toThrow();
    expect(app.screen).toBe('unreachable');
  });

  it('logs in and lands on the patient list with the session permissions', async () => {
    const app = new AppState(backend, bus);
    let loggedIn = false;
    backend
      .on('app.status', () => status({ session: loggedIn ? session() : null }))
      .on('app.login', () => {
        loggedIn = true;
        return session();
      });
    await app.refresh();
    await app.login('drlee', 'pw');
    expect(backend.callsOf('app.login')).toEqual([{ user: 'drlee', password: 'pw' }]);
    expect(app.screen).toBe('main');
    expect(app.place).toEqual({ view: 'patients' });
    expect(app.can('write_chart')).toBe(true);
    expect(app.can('administer')).toBe(false);
  });

  it('locks the screen before the engine answers, and resumes to the same place', async () => {
    const app = new AppState(backend, bus);
    const locked = vi.fn();
    bus.on('session-locked', locked);
    let resolveLock: (v: Record<string, never>) => void = () => {};
    backend
      .on('app.status', () => status({ session: session() }))
      .on('app.lock', () => new Promise((r) => (resolveLock = r)))
      .on('app.resume', () => session());
    await app.refresh();
    app.go({ view: 'chart', patient: 'p1', section: 'allergies' });
    const pending = app.lock();
    expect(app.screen).toBe('locked');
    expect(locked).toHaveBeenCalledTimes(1);
    resolveLock({});
    await pending;
    await app.resume('pw');
    expect(app.screen).toBe('main');
    expect(app.place).toEqual({ view: 'chart', patient: 'p1', section: 'allergies' });
  });

  it('sends app.lock only after the saves the lock set off have reached the engine', async () => {
    const app = new AppState(backend, bus);
    let finishSave: () => void = () => {};
    backend.on('app.status', () => status({ session: session() })).on('app.lock', () => ({}));
    await app.refresh();
    bus.on('session-locked', () =>
      app.saveBeforeLock(new Promise<void>((r) => (finishSave = () => r()))),
    );
    const pending = app.lock();
    expect(app.screen).toBe('locked');
    await Promise.resolve();
    expect(backend.callsOf('app.lock')).toHaveLength(0);
    finishSave();
    await pending;
    expect(backend.callsOf('app.lock')).toHaveLength(1);
  });

  it('stays locked when resume is refused', async () => {
    const app = new AppState(backend, bus);
    backend
      .on('app.status', () => status({ session: session() }))
      .on('app.lock', () => ({}))
      .fail('app.resume', 'wrong_password', 'Wrong password.');
    await app.refresh();
    await app.lock();
    await expect(app.resume('nope')).rejects.toMatchObject({ code: 'wrong_password' });
    expect(app.screen).toBe('locked');
  });

  it('shows the lock screen when any command answers session_locked', async () => {
    const app = new AppState(backend, bus);
    backend
      .on('app.status', () => status({ session: session() }))
      .fail('chart.summary', 'session_locked');
    await app.refresh();
    await expect(app.ctx.backend.call('chart.summary', { patient: 'p1' })).rejects.toThrow();
    expect(app.screen).toBe('locked');
  });

  it('locks after the idle minutes with no activity, not while the user is active', async () => {
    vi.useFakeTimers();
    const app = new AppState(backend, bus);
    backend
      .on('app.status', () => status({ session: session({ idle_lock_minutes: 5 }) }))
      .on('app.lock', () => ({}));
    await app.refresh();
    vi.advanceTimersByTime(4 * 60_000);
    app.touch();
    vi.advanceTimersByTime(4 * 60_000);
    expect(app.screen).toBe('main');
    vi.advanceTimersByTime(60_000 + 1);
    expect(app.screen).toBe('locked');
    expect(backend.callsOf('app.lock')).toHaveLength(1);
  });

  it('switch user logs out and starts the next person at the patient list', async () => {
    const app = new AppState(backend, bus);
    let loggedIn = true;
    backend
      .on('app.status', () => status({ session: loggedIn ? session() : null }))
      .on('app.logout', () => {
        loggedIn = false;
        return {};
      });
    await app.refresh();
    app.go({ view: 'chart', patient: 'p1', section: 'summary' });
    await app.logout();
    expect(app.screen).toBe('login');
    expect(app.place).toEqual({ view: 'patients' });
  });

  it('keeps the recovery-code step: create does not move on by itself', async () => {
    const app = new AppState(backend, bus);
    backend
      .on('app.status', () => status({ state: 'none', key_mode: null }))
      .on('app.create', () => ({ recovery_code: 'ABCD-EFGH', key_mode: 'passphrase' }));
    await app.refresh();
    const created = await app.create('admin', 'pw', 'phrase');
    expect(created.recovery_code).toBe('ABCD-EFGH');
    expect(backend.callsOf('app.create')).toEqual([
      { admin_name: 'admin', admin_password: 'pw', passphrase: 'phrase' },
    ]);
    expect(app.screen).toBe('first-run');
  });
});

describe('AppState when the host forgot the session', () => {
  it('goes back to the login screen when a command answers not_logged_in', async () => {
    const backend = new FakeBackend();
    let loggedIn = true;
    backend
      .on('app.status', () => status({ session: loggedIn ? session() : null }))
      .on('patient.search', () => {
        loggedIn = false;
        throw new ApiError('not_logged_in', 'Log in first.');
      });
    const app = new AppState(backend, new EventBus());
    await app.refresh();
    await expect(app.ctx.backend.call('patient.search', { query: 'x' })).rejects.toThrow();
    await vi.waitFor(() => expect(app.screen).toBe('login'));
  });
});
