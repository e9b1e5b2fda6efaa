import type { CommandName, Commands } from './types.gen';

/** The arguments a command takes. */
export type Args<C extends CommandName> = Commands[C]['request'];
/** What a command answers. */
export type Answer<C extends CommandName> = Commands[C]['response'];

/**
 * The one way the UI talks to the engine. The desktop shell and `chartkeep serve` each have
 * an implementation; views and services only ever see this interface, so every screen works
 * the same over Tauri IPC and over HTTP.
 */
export interface Backend {
  call<C extends CommandName>(command: C, args: Args<C>): Promise<Answer<C>>;
  /**
   * The desktop menu's actions that the page carries out (File → New patient, Backup now).
   * Returns the unsubscribe function; a browser has no such menu and never calls `handler`.
   */
  onMenu(handler: (action: MenuAction) => void): () => void;
  /**
   * A path chosen in the system's file dialog, or `null` if the user cancelled. Only the
   * desktop has one (`canPickPaths`); in a browser the user types the path.
   */
  readonly canPickPaths: boolean;
  pickPath(purpose: PathPurpose): Promise<string | null>;
}

/** Why a path is asked for, which decides the dialog (save or open, file or folder). */
export type PathPurpose = 'backup-save' | 'backup-open' | 'folder' | 'export-save' | 'csv-save';

/** What the desktop shell's menu asks of the page. */
export type MenuAction = 'new-patient' | 'backup';

/** True for the host's own commands (`app.*`), which the desktop shell exposes one by one. */
export function isHostCommand(command: string): boolean {
  return command.startsWith('app.');
}
