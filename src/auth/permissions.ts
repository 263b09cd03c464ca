/**
 * Roles and what they may do (contract §1). Permissions are checked by name in routes; roles only
 * exist here, so a new role is one entry.
 */
export const ROLES = ['admin', 'manager', 'analyst', 'reporter'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'view-statistics',
  'manage-accounts',
  'manage-users',
  'manage-webhooks',
  'manage-retention',
  'manage-channels',
  'manage-forms',
  'manage-states',
  'manage-reports',
  'post-reports',
  'post-reads',
  'send-alerts',
  'open-alerts',
  'view-analytics',
  'view-records',
  'manage-records',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  manager: [
    'manage-users',
    'manage-webhooks',
    'manage-retention',
    'manage-channels',
    'manage-forms',
    'manage-states',
    'manage-reports',
    'post-reports',
    'post-reads',
    'send-alerts',
    'open-alerts',
    'view-analytics',
    'view-records',
    'manage-records',
  ],
  analyst: ['view-analytics', 'view-records'],
  reporter: ['post-reports', 'post-reads', 'open-alerts'],
};

export interface Principal {
  userId: number;
  accountId: number;
  roles: readonly Role[];
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/** Admins see every account; everyone else only their own. */
export function canAccessAccount(principal: Principal, accountId: number): boolean {
  return principal.roles.includes('admin') || principal.accountId === accountId;
}
