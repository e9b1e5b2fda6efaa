import { COMMAND_PERMISSIONS, type CommandName, type Permission } from '../api/types.gen';

export type { Permission };

/**
 * Screens and buttons a role may not use are left out, not disabled; the engine refuses
 * them anyway. Permission names come from the session info's `permissions`.
 */
export function hasPermission(
  session: { permissions?: readonly string[] } | null | undefined,
  permission: Permission,
): boolean {
  return session?.permissions?.includes(permission) ?? false;
}

/** Whether the session may run a command: any one of its permissions (generated table). */
export function mayCall(
  session: { permissions?: readonly string[] } | null | undefined,
  command: CommandName,
): boolean {
  const needed = COMMAND_PERMISSIONS[command];
  return needed.length === 0 || needed.some((p) => hasPermission(session, p));
}
