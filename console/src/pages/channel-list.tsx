import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, withQuery } from '../api';
import { useAccount } from '../components/layout';

interface Channel {
  id: number;
  name: string;
  reports_last_30_days: number;
}

const PAGE = 50;

export function ChannelList() {
  const { accountQuery, link } = useAccount();
  const { query, path, route } = useLocation();
  const search = query.q ?? '';
  const from = Math.max(0, Number(query.from) || 0);
  const [page, setPage] = useState<{ total: number; items: Channel[] } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setError('');
    api<{ total: number; items: Channel[] }>('/api/v4/channels', {
      query: { ...accountQuery, q: search, from, limit: PAGE },
    }).then(setPage, (e: Error) => setError(e.message));
  }, [accountQuery.account_id, search, from]);
  const go = (q: string, offset: number) =>
    route(withQuery(path, { account: query.account, q, from: offset || undefined }), true);
  return (
    <section class="panel">
      <h1>Channels</h1>
      <label class="search">
        Search by name
        <input type="search" value={search} onInput={(e) => go(e.currentTarget.value, 0)} />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {page && page.total === 0 && !search && (
        <p class="empty">
          No channels yet. Create one with <code>POST /api/v4/channels</code>, or fill a demo installation with{' '}
          <code>npm run demo</code>.
        </p>
      )}
      {page && page.items.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col" class="num">
                Reports, last 30 days
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <a href={link(`/console/reports/${c.id}`)}>{c.name}</a>
                </td>
                <td class="num">{c.reports_last_30_days.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page && page.total > PAGE && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={from === 0} onClick={() => go(search, Math.max(0, from - PAGE))}>
            Previous
          </button>
          <span>
            {from + 1}–{Math.min(from + PAGE, page.total)} of {page.total}
          </span>
          <button type="button" disabled={from + PAGE >= page.total} onClick={() => go(search, from + PAGE)}>
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
