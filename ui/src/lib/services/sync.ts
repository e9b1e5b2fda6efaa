import { syncCall, type DeviceInfo, type Invite, type SyncStatus } from '../api/sync-types';
import type { ServiceContext } from './context';

/**
 * The Sync screen's calls: this workstation and its peers, the practice's member devices,
 * pairing a new workstation, and an address typed by an administrator.
 */

export function syncStatus(ctx: ServiceContext): Promise<SyncStatus> {
  return syncCall(ctx.backend, 'sync.status', {});
}

export function listDevices(ctx: ServiceContext): Promise<DeviceInfo[]> {
  return syncCall(ctx.backend, 'device.list', {});
}

/** Removes a lost or retired workstation from the practice (administrators). */
export function removeDevice(ctx: ServiceContext, device: string): Promise<DeviceInfo> {
  return syncCall(ctx.backend, 'device.remove', { device });
}

/** A one-time code a new workstation joins with (administrators). */
export function makeInvite(ctx: ServiceContext): Promise<Invite> {
  return syncCall(ctx.backend, 'sync.invite', {});
}

/** A peer's address to try besides those found on the LAN (administrators). */
export async function addPeer(ctx: ServiceContext, address: string): Promise<void> {
  await syncCall(ctx.backend, 'sync.add_peer', { address });
}

/**
 * Whether a typed address looks like `host:port` (a name or IPv4, or `[IPv6]`, and a port
 * 1–65535). The engine checks it again; this only catches a typo before the round trip.
 */
export function isPeerAddress(text: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  if (!m) return false;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535;
}
