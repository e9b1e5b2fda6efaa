import type { Backend } from './backend';
import { HttpBackend } from './http';
import { TauriBackend } from './tauri';

export type { Backend, Args, Answer, MenuAction, PathPurpose } from './backend';
export { ApiError } from './errors';

/** Whether the page runs inside the Tauri desktop shell. */
export function inTauri(w: object = window): boolean {
  return '__TAURI_INTERNALS__' in w;
}

/**
 * Chooses the transport once at start. The Tauri module is loaded only inside the desktop
 * shell, so the browser build never runs it.
 */
export async function chooseBackend(): Promise<Backend> {
  if (inTauri()) {
    const { invoke } = await import('@tauri-apps/api/core');
    const { listen } = await import('@tauri-apps/api/event');
    const { open, save } = await import('@tauri-apps/plugin-dialog');
    return new TauriBackend(invoke, listen, { open, save });
  }
  return new HttpBackend();
}
