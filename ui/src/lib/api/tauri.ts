import type { Answer, Args, Backend, MenuAction, PathPurpose } from './backend';
import { isHostCommand } from './backend';
import { toApiError } from './errors';
import type { CommandName } from './types.gen';

/** The shape of `@tauri-apps/api/core`'s `invoke`, so tests can pass a fake. */
export type Invoke = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

/** The dialog plugin's `open` and `save`, so tests can pass fakes. */
export interface Dialogs {
  open(options: {
    directory?: boolean;
    multiple?: boolean;
    title?: string;
    filters?: { name: string; extensions: string[] }[];
  }): Promise<string | string[] | null>;
  save(options: {
    title?: string;
    defaultPath?: string;
    filters?: { name: string; extensions: string[] }[];
  }): Promise<string | null>;
}

const BACKUP_FILES = [{ name: 'Chartkeep backup', extensions: ['ckbackup'] }];
const FHIR_FILES = [{ name: 'FHIR JSON', extensions: ['json'] }];
const CSV_FILES = [{ name: 'CSV', extensions: ['csv'] }];

/** The shape of `@tauri-apps/api/event`'s `listen`, so tests can pass a fake. */
export type Listen = (
  event: string,
  handler: (e: { payload: unknown }) => void,
) => Promise<() => void>;

/**
 * The Backend of the desktop shell. Engine commands go through the one `call` command; the
 * host's own `app.x_y` commands are separate Tauri commands named `app_x_y`, so the
 * window's capability file can allow each one explicitly.
 */
export class TauriBackend implements Backend {
  readonly #invoke: Invoke;
  readonly #listen: Listen | null;
  readonly #dialogs: Dialogs | null;

  constructor(invoke: Invoke, listen: Listen | null = null, dialogs: Dialogs | null = null) {
    this.#invoke = invoke;
    this.#listen = listen;
    this.#dialogs = dialogs;
  }

  get canPickPaths(): boolean {
    return this.#dialogs !== null;
  }

  async pickPath(purpose: PathPurpose): Promise<string | null> {
    const d = this.#dialogs;
    if (!d) return null;
    if (purpose === 'export-save') {
      return d.save({ title: 'Save the chart as FHIR', filters: FHIR_FILES });
    }
    if (purpose === 'csv-save') {
      return d.save({ title: 'Save the list as CSV', filters: CSV_FILES });
    }
    if (purpose === 'backup-save') {
      const today = new Date().toISOString().slice(0, 10);
      return d.save({
        title: 'Save a backup of the practice',
        defaultPath: `chartkeep-backup-${today}.ckbackup`,
        filters: BACKUP_FILES,
      });
    }
    const picked = await d.open(
      purpose === 'folder'
        ? { directory: true, multiple: false, title: 'Open a practice folder' }
        : { multiple: false, title: 'Restore a backup', filters: BACKUP_FILES },
    );
    return Array.isArray(picked) ? (picked[0] ?? null) : picked;
  }

  onMenu(handler: (action: MenuAction) => void): () => void {
    let off: (() => void) | null = null;
    let cancelled = false;
    void this.#listen?.('menu', (e) => {
      const action = (e.payload as { action?: string } | null)?.action;
      if (action === 'new-patient' || action === 'backup') handler(action);
    }).then((unlisten) => {
      if (cancelled) unlisten();
      else off = unlisten;
    });
    return () => {
      cancelled = true;
      off?.();
    };
  }

  async call<C extends CommandName>(command: C, args: Args<C>): Promise<Answer<C>> {
    const payload = (args ?? {}) as Record<string, unknown>;
    try {
      if (isHostCommand(command)) {
        return (await this.#invoke(command.replace(/\./g, '_'), { args: payload })) as Answer<C>;
      }
      return (await this.#invoke('call', { command, args: payload })) as Answer<C>;
    } catch (e) {
      throw toApiError(e);
    }
  }
}
