/**
 * TEMPORARY: the sync commands' shapes as the issue-8 brief gives them, until the lead's
 * `chartkeep ui-types` puts them in types.gen.ts. Everything the UI needs from those
 * commands is declared here and nowhere else, so the swap is: replace the interfaces below
 * with re-exports from './types.gen', and make `syncCall` a plain `backend.call`.
 */
import type { Backend } from './backend';
import type { AppStatus } from './types.gen';

/** One other workstation as this one sees it. */
export interface PeerStatus {
  /** The device id, hex. */
  device: string;
  /** The same, in groups of four: "ab12 cd34 ef56 …". */
  device_grouped: string;
  name: string;
  address: string | null;
  connected: boolean;
  /** RFC 3339. */
  last_contact: string | null;
  last_error: string | null;
  /** Commits it holds that this workstation lacks, and the other way round. */
  pending_in: number;
  pending_out: number;
}

/** A commit a peer sent that this workstation refused (bad signature, broken chain…). */
export interface Rejected {
  at: string;
  device: string;
  seq: number;
  code: string;
  message: string;
}

export type SyncState = 'synced' | 'syncing' | 'offline' | 'alone';

/** `sync.status`: this workstation, its peers, and what waits for review. */
export interface SyncStatus {
  device: string;
  device_grouped: string;
  name: string;
  /** "0.0.0.0:8421", or null when not listening. */
  listening: string | null;
  /** `alone`: the practice has no other member yet. */
  state: SyncState;
  offline_since: string | null;
  last_sync: string | null;
  peers: PeerStatus[];
  open_conflicts: number;
  duplicates: number;
  rejected: Rejected[];
}

/** One member workstation of the practice (`device.list`). */
export interface DeviceInfo {
  id: string;
  device: string;
  device_grouped: string;
  name: string;
  added_by: string;
  removed: boolean;
  this_workstation: boolean;
}

/** A one-time pairing code (`sync.invite`). */
export interface Invite {
  /** "4829-1736". */
  code: string;
  expires_at: string;
  /** Where the new workstation can reach this one ("192.168.1.20:8421"). */
  addresses: string[];
}

export interface AppJoin {
  code: string;
  address: string;
  /** null: protect the new workstation's key with the OS keychain. */
  passphrase: string | null;
}

/** The sync commands, in the shape of the generated `Commands` map. */
export interface SyncCommands {
  'sync.status': { request: Record<string, never>; response: SyncStatus };
  'device.list': { request: Record<string, never>; response: DeviceInfo[] };
  'device.remove': { request: { device: string }; response: DeviceInfo };
  'sync.invite': { request: Record<string, never>; response: Invite };
  'sync.add_peer': { request: { address: string }; response: Record<string, unknown> };
  'app.join': { request: AppJoin; response: AppStatus };
}

export type SyncCommand = keyof SyncCommands;

/** A Backend that knows the sync commands (any Backend does at run time; only the types lag). */
export interface SyncBackend {
  call<C extends SyncCommand>(
    command: C,
    args: SyncCommands[C]['request'],
  ): Promise<SyncCommands[C]['response']>;
}

/** Calls a sync command through the ordinary Backend (a cast that goes with the swap). */
export function syncCall<C extends SyncCommand>(
  backend: Backend,
  command: C,
  args: SyncCommands[C]['request'],
): Promise<SyncCommands[C]['response']> {
  return (backend as unknown as SyncBackend).call(command, args);
}
