import { describe, expect, it, vi } from 'vitest';
import { TauriBackend } from './tauri';
import { ApiError } from './errors';

describe('TauriBackend', () => {
  it('routes engine commands through the one `call` command', async () => {
    const invoke = vi.fn(async () => [{ id: 'p1', name: 'Doe, Jane' }]);
    const hits = await new TauriBackend(invoke).call('patient.search', { query: 'doe' });
    expect(hits).toEqual([{ id: 'p1', name: 'Doe, Jane' }]);
    expect(invoke).toHaveBeenCalledWith('call', {
      command: 'patient.search',
      args: { query: 'doe' },
    });
  });

  it('routes app.* commands to their own Tauri command, dot turned to underscore', async () => {
    const invoke = vi.fn(async () => ({ user: 'drlee' }));
    await new TauriBackend(invoke).call('app.login', { user: 'drlee', password: 'pw' });
    expect(invoke).toHaveBeenCalledWith('app_login', { args: { user: 'drlee', password: 'pw' } });
    await new TauriBackend(invoke).call('app.open_folder', { folder: '/d' });
    expect(invoke).toHaveBeenLastCalledWith('app_open_folder', { args: { folder: '/d' } });
  });

  it('maps a rejected invoke carrying {code, message} to an ApiError', async () => {
    const invoke = vi.fn(async () => {
      throw { code: 'session_locked', message: 'The session is locked.' };
    });
    const err = await new TauriBackend(invoke)
      .call('chart.summary', { patient: 'p' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('session_locked');
    expect((err as ApiError).message).toBe('The session is locked.');
  });

  it('keeps the text of a rejection that is a plain string', async () => {
    const invoke = vi.fn(async () => {
      throw 'Command app_frobnicate not allowed by ACL';
    });
    const err = await new TauriBackend(invoke).call('app.status', {}).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('internal_error');
    expect((err as ApiError).message).toBe('Command app_frobnicate not allowed by ACL');
  });

  it('parses a rejection that is the error serialised as JSON text', async () => {
    const invoke = vi.fn(async () => {
      throw JSON.stringify({ code: 'forbidden', message: 'Nurses may not do that.' });
    });
    const err = await new TauriBackend(invoke).call('app.status', {}).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe('forbidden');
  });

  it('passes the menu actions the page carries out to the handler, and stops on unsubscribe', async () => {
    let emit: ((e: { payload: unknown }) => void) | null = null;
    const unlisten = vi.fn();
    const listen = vi.fn(async (_event: string, h: (e: { payload: unknown }) => void) => {
      emit = h;
      return unlisten;
    });
    const seen: string[] = [];
    const off = new TauriBackend(vi.fn(), listen).onMenu((a) => seen.push(a));
    await Promise.resolve();
    expect(listen).toHaveBeenCalledWith('menu', expect.any(Function));
    emit!({ payload: { action: 'new-patient' } });
    emit!({ payload: { action: 'rm -rf' } });
    emit!({ payload: { action: 'backup' } });
    expect(seen).toEqual(['new-patient', 'backup']);
    off();
    expect(unlisten).toHaveBeenCalled();
  });

  it('asks the system dialog for paths: save for a backup, a folder, or a backup file to open', async () => {
    const dialogs = {
      save: vi.fn(async (_o: { filters?: unknown }) => '/media/usb/b.ckbackup'),
      open: vi.fn(async (o: { directory?: boolean }) => (o.directory ? ['/data/practice'] : null)),
    };
    const b = new TauriBackend(vi.fn(), null, dialogs);
    expect(b.canPickPaths).toBe(true);
    expect(await b.pickPath('backup-save')).toBe('/media/usb/b.ckbackup');
    expect(dialogs.save.mock.calls[0]![0]).toMatchObject({
      filters: [{ extensions: ['ckbackup'] }],
    });
    expect(await b.pickPath('folder')).toBe('/data/practice');
    expect(await b.pickPath('backup-open')).toBeNull();
    expect(new TauriBackend(vi.fn()).canPickPaths).toBe(false);
  });
});
