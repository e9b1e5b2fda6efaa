import type { FakeBackend } from './fake-backend';
import type { DeviceInfo, PeerStatus, SyncCommand, SyncStatus } from './sync-types';
import type { Commands, CompetingValue, Conflict } from './types.gen';

/** Small made-up sync and conflict answers for unit tests (no real patient or workstation). */

/** Answers a sync command on the fake. */
export function onSync<C extends SyncCommand>(
  fake: FakeBackend,
  command: C,
  handler: (
    args: Commands[C]['request'],
  ) => Commands[C]['response'] | Promise<Commands[C]['response']>,
): FakeBackend {
  return fake.on(command, handler);
}

export function syncStatus(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    device: 'aaaa1111bbbb2222cccc3333dddd4444',
    device_grouped: 'aaaa 1111 bbbb 2222 cccc 3333 dddd 4444',
    name: 'Front desk',
    listening: '0.0.0.0:8421',
    state: 'synced',
    offline_since: null,
    last_sync: '2026-03-01T10:00:00Z',
    peers: [],
    open_conflicts: 0,
    duplicates: 0,
    rejected: [],
    ...over,
  };
}

export function peer(over: Partial<PeerStatus> = {}): PeerStatus {
  return {
    device: 'eeee5555ffff6666',
    device_grouped: 'eeee 5555 ffff 6666',
    name: 'Exam 2',
    address: '192.168.1.21:8421',
    connected: true,
    last_contact: '2026-03-01T10:00:00Z',
    last_error: null,
    pending_in: 0,
    pending_out: 0,
    ...over,
  };
}

export function device(over: Partial<DeviceInfo> = {}): DeviceInfo {
  return {
    id: 'd1',
    device: 'aaaa1111bbbb2222cccc3333dddd4444',
    device_grouped: 'aaaa 1111 bbbb 2222 cccc 3333 dddd 4444',
    name: 'Front desk',
    added_by: 'u-admin',
    added_by_name: 'admin',
    removed: false,
    this_workstation: true,
    ...over,
  };
}

export function competing(over: Partial<CompetingValue> = {}): CompetingValue {
  return {
    change: 'ch1',
    value: 'severe',
    signed: false,
    author: 'u1',
    author_name: 'Dr Lee',
    at: '2026-03-01T09:00:00Z',
    device: 'aaaa1111bbbb2222',
    ...over,
  };
}

/** An allergy's severity set to severe on one workstation and moderate on another. */
export function conflict(over: Partial<Conflict> = {}): Conflict {
  return {
    row: 'a1',
    entity: 'allergy',
    field: 'severity',
    patient: 'p1',
    since: '2026-03-01T09:00:00Z',
    shown: 'severe',
    hidden: false,
    signed: false,
    values: [
      competing(),
      competing({
        change: 'ch2',
        value: 'moderate',
        author: 'u2',
        author_name: 'Nurse Kim',
        at: '2026-03-01T09:05:00Z',
        device: 'eeee5555ffff6666',
      }),
    ],
    ...over,
  };
}
