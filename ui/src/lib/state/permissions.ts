/**
 * Permission names as the engine's session info lists them. Screens and buttons a role may
 * not use are left out, not disabled; the engine refuses them anyway.
 */
export type Permission =
  | 'demographics'
  | 'edit_demographics'
  | 'read_chart'
  | 'write_chart'
  | 'sign'
  | 'billing'
  | 'resolve_conflicts'
  | 'administer';

export function hasPermission(
  session: { permissions?: readonly string[] } | null | undefined,
  permission: Permission,
): boolean {
  return session?.permissions?.includes(permission) ?? false;
}
