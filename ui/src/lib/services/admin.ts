import type {
  AuditExport,
  AuditReport,
  AuditVerified,
  BackupWritten,
  Entry,
  SettingInfo,
  UserCreate,
  UserInfo,
  UserUpdate,
  PracticeVerified,
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
  change: Pick<UserUpdate, 'role' | 'display_name' | 'active' | 'password' | 'new_name'>,
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
  action: string;
}

function auditArgs(q: AuditQuery): AuditReport {
  return {
    from: q.from,
    to: q.to,
    user: q.user.trim() || null,
    patient: q.patient.trim() || null,
    action: q.action || null,
  };
}

export function auditReport(ctx: ServiceContext, q: AuditQuery): Promise<Entry[]> {
  return ctx.backend.call('audit.report', auditArgs(q));
}

/**
 * The same entries as CSV, made by the engine (which quotes and defuses cells) and logged
 * there as an export, so taking the log out of the practice leaves a trace in it.
 */
export function exportAudit(ctx: ServiceContext, q: AuditQuery): Promise<AuditExport> {
  return ctx.backend.call('audit.export', auditArgs(q));
}

/** The whole practice checked as `chartkeep verify` does; slow on a large practice. */
export function verifyPractice(ctx: ServiceContext): Promise<PracticeVerified> {
  return ctx.backend.call('app.verify', {});
}

export function verifyAuditLog(ctx: ServiceContext): Promise<AuditVerified> {
  return ctx.backend.call('audit.verify', {});
}

export function backupTo(ctx: ServiceContext, file: string): Promise<BackupWritten> {
  return ctx.backend.call('app.backup', { file });
}
