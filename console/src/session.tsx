import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { hasPermission, isRole, type Permission } from '../../src/auth/permissions';

/** The signed-in user as `GET /api/v4/console/me` answers it. */
export interface Me {
  id: number;
  account_id: number;
  account_name: string;
  username: string;
  first_name: string;
  last_name: string;
  roles: string[];
}

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in page');
  return me;
}

/** The API's own rule (src/auth/permissions.ts), so a page knows what the API would refuse. */
export const may = (me: Me, permission: Permission): boolean =>
  hasPermission({ userId: me.id, accountId: me.account_id, roles: me.roles.filter(isRole) }, permission);

export const isAdmin = (me: Me) => me.roles.includes('admin');
