import type {
  AuditVerified,
  BackupWritten,
  Entry,
  SettingInfo,
  UserCreate,
  UserInfo,
  UserUpdate,
} from '../api/types.gen';
import type { ServiceContext } from './context';

/** The administration screen's calls (all need `administer`; `app.backup` too). */
export const roles = ['clinician', 'nurse', 'front_desk', 'billing', 'administrator'] as const;
export type Role = (typeof roles)[number];

export function listUsers(ctx: ServiceContext): Promise<UserInfo[]> {
  return ctx.backend.call('user.list', {});
}

export function createUser(ctx: ServiceContext, args: UserCreate): Promise<UserInfo> {
  return ctx.backend.call('user.create', args);
}

/** An edit on the version read from `user.list` (by id, which is unique even after a merge). */
export function updateUser(
  ctx: ServiceContext,
  user: UserInfo,
  change: Pick<UserUpdate, 'role' | 'display_name' | 'active' | 'password'>,
): Promise<UserInfo> {
  return ctx.backend.call('user.update', { id: user.id, version: user.version, ...change });
}

export function listSettings(ctx: ServiceContext): Promise<SettingInfo[]> {
  return ctx.backend.call('setting.list', {});
}

/** Sets a setting; the version is needed when it already exists. */
export async function setSetting(
  ctx: ServiceContext,
  name: string,
  value: string | number,
  existing: SettingInfo | undefined,
): Promise<void> {
  await ctx.backend.call(
    'setting.set',
    existing ? { name, value, version: existing.version } : { name, value },
  );
}

export interface AuditQuery {
  from: string;
  to: string;
  user: string;
  patient: string;
  /** Filtered here: the engine's report has no action filter. */
  action: string;
}

export async function auditReport(ctx: ServiceContext, q: AuditQuery): Promise<Entry[]> {
  const entries = await ctx.backend.call('audit.report', {
    from: q.from,
    to: q.to,
    user: q.user.trim() || null,
    patient: q.patient.trim() || null,
  });
  return q.action ? entries.filter((e) => e.action === q.action) : entries;
}

export function verifyAuditLog(ctx: ServiceContext): Promise<AuditVerified> {
  return ctx.backend.call('audit.verify', {});
}

export function backupTo(ctx: ServiceContext, file: string): Promise<BackupWritten> {
  return ctx.backend.call('app.backup', { file });
}

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, quotes
 * doubled. A cell a spreadsheet would run as a formula (= + - @, tab, CR first) gets a
 * leading apostrophe, so opening an exported log cannot execute what someone typed.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const auditColumns: (keyof Entry)[] = [
  'seq',
  'at',
  'user',
  'workstation',
  'action',
  'category',
  'patient',
  'detail',
];

/** The access log as CSV, one row per entry, CRLF line ends. */
export function auditCsv(entries: Entry[]): string {
  const rows = [auditColumns.join(',')];
  for (const e of entries) rows.push(auditColumns.map((c) => csvCell(e[c])).join(','));
  return rows.join('\r\n') + '\r\n';
}
