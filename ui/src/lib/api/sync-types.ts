/**
 * The sync commands' types, from the generated types (`chartkeep ui-types`). The names
 * the sync screens use are kept here so those screens read naturally.
 */
import type { Backend } from './backend';
import type { CommandName, Commands, JoinPractice, RejectedCommit } from './types.gen';

export type {
  DeviceInfo,
  Invite,
  PeerStatus,
  PracticeJoined,
  SyncState,
  SyncStatus,
} from './types.gen';

/** A commit a peer sent that this workstation refused (bad signature, broken chain…). */
export type Rejected = RejectedCommit;

export type AppJoin = JoinPractice;

export type SyncCommand = Extract<
  CommandName,
  'sync.status' | 'device.list' | 'device.remove' | 'sync.invite' | 'sync.add_peer' | 'app.join'
>;

/** Calls a sync command through the ordinary Backend. */
export function syncCall<C extends SyncCommand>(
  backend: Backend,
  command: C,
  args: Commands[C]['request'],
): Promise<Commands[C]['response']> {
  return backend.call(command, args);
}
