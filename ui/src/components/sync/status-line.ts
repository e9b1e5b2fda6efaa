import type { ApiError } from '../../lib/api/errors';
import type { SyncStatus } from '../../lib/api/sync-types';
import { clockLabel } from '../../lib/dates';

/** How the status bar's line looks: calm when synced, marked when something needs a person. */
export type StatusTone = 'ok' | 'busy' | 'offline' | 'unknown';

export interface StatusLine {
  /** "Synced", "Syncing…", "Offline since 14:05", "Not paired yet"; then "· 3 to review". */
  text: string;
  tone: StatusTone;
  toReview: number;
}

/** The one line the status bar shows about sync, from the last `sync.status`. */
export function statusLine(
  status: SyncStatus | null,
  error: ApiError | null,
  now: Date = new Date(),
): StatusLine {
  if (!status) {
    return {
      text: error ? 'Sync status unavailable' : 'Sync status…',
      tone: 'unknown',
      toReview: 0,
    };
  }
  let text: string;
  let tone: StatusTone;
  switch (status.state) {
    case 'synced':
      text = 'Synced';
      tone = 'ok';
      break;
    case 'syncing':
      text = 'Syncing…';
      tone = 'busy';
      break;
    case 'offline':
      text = status.offline_since
        ? `Offline since ${clockLabel(status.offline_since, now)}`
        : 'Offline';
      tone = 'offline';
      break;
    default:
      text = 'Not paired with another workstation';
      tone = 'unknown';
  }
  const toReview = status.open_conflicts + status.duplicates;
  if (toReview > 0) text += ` · ${toReview} to review`;
  return { text, tone, toReview };
}
