import type { StoreUserRoleValue } from '@coinstile/platform';

/** A store user's role: `owner` runs everything of the store, `staff` handles orders and shipments. */
export type StoreRole = StoreUserRoleValue;

export const STORE_ROLES: readonly StoreRole[] = ['owner', 'staff'];

/** What a portal route needs; every route declares one. */
export type PortalPermission = 'orders' | 'payouts' | 'integration' | 'users';

/** Whether `role` may do what `permission` covers (exhaustive over both: a new role or area must be decided here). */
export function roleAllows(role: StoreRole, permission: PortalPermission): boolean {
  switch (role) {
    case 'owner':
      return true;
    case 'staff':
      switch (permission) {
        case 'orders':
          return true;
        case 'payouts':
        case 'integration':
        case 'users':
          return false;
      }
  }
}

export function isStoreRole(value: unknown): value is StoreRole {
  return value === 'owner' || value === 'staff';
}
