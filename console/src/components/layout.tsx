import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, withQuery } from '../api';
import { isAdmin, may, useMe } from '../session';

interface Account {
  id: number;
  name: string;
}

/**
 * The account a page shows: the signed-in user's, or for an admin the one the URL names
 * (`?account=<id>`), since channel and room ids are only unique within an account.
 */
export function useAccount(): {
  accountId: number;
  accountQuery: { account_id?: number };
  link: (path: string) => string;
} {
  const me = useMe();
  const { query } = useLocation();
  const named = Number(query.account);
  const accountId = isAdmin(me) && Number.isInteger(named) && named > 0 ? named : me.account_id;
  const other = accountId !== me.account_id;
  return {
    accountId,
    accountQuery: other ? { account_id: accountId } : {},
    link: (path) => (other ? withQuery(path, { account: accountId }) : path),
  };
}

function AccountPicker() {
  const { accountId } = useAccount();
  const { path, route } = useLocation();
  const [accounts, setAccounts] = useState<Account[]>([]);
  useEffect(() => {
    api<Account[]>('/api/v4/accounts').then(setAccounts, () => setAccounts([]));
  }, []);
  if (accounts.length < 2) return null;
  // Ids inside a page belong to one account: switching goes to the section's start page.
  const section = path.split('/').slice(0, 3).join('/');
  return (
    <label class="account-picker">
      Account
      <select value={accountId} onChange={(e) => route(withQuery(section, { account: e.currentTarget.value }))}>
        {accounts.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name} (#{a.id})
          </option>
        ))}
      </select>
    </label>
  );
}

export function Layout({ children, onSignedOut }: { children: ComponentChildren; onSignedOut: () => void }) {
  const me = useMe();
  const { link } = useAccount();
  const { path } = useLocation();
  const signOut = async () => {
    await api('/api/v4/console/logout', { method: 'POST' }).catch(() => undefined);
    onSignedOut();
  };
  const nav = [
    { href: '/console/reports', label: 'Reports' },
    { href: '/console/recordings', label: 'Recordings' },
    ...(may(me, 'manage-records') ? [{ href: '/console/trash', label: 'Trash' }] : []),
    ...(isAdmin(me) ? [{ href: '/console/statistics', label: 'Statistics' }] : []),
  ];
  return (
    <>
      <header class="top">
        <a class="brand" href={link('/console/reports')}>
          Recap
        </a>
        <nav aria-label="Sections">
          {nav.map((item) => (
            <a key={item.href} href={link(item.href)} aria-current={path.startsWith(item.href) ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <div class="who">
          {isAdmin(me) && <AccountPicker />}
          <span>
            {me.first_name || me.username} · {me.account_name}
          </span>
          <button type="button" class="link" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>{children}</main>
    </>
  );
}
