import { useMemo, useState } from 'preact/hooks';
import { api, withQuery } from '../api';
import { Chart } from '../components/chart';
import { bytes } from '../format';
import { may, useMe } from '../session';
import { useApi } from '../use-api';

type Snapshot = Record<string, unknown> & { createdAt: string };

const COUNTS: [string, string][] = [
  ['totalUsers', 'Users'],
  ['totalRecordingRooms', 'Rooms with recordings'],
  ['totalAnalyticsFiles', 'Sessions'],
  ['totalRecordings', 'Recordings'],
  ['totalReports', 'Reports'],
  ['totalReportReads', 'Reads'],
];
const FIELDS = JSON.stringify(
  Object.fromEntries([['createdAt', 1], ['totalRecordingsSize', 1], ...COUNTS.map(([k]) => [k, 1])]),
);

/** Server statistics (admins): the figures over the last year of snapshots, and the newest snapshot whole. */
export function Statistics() {
  const me = useMe();
  const allowed = may(me, 'view-statistics');
  const [version, setVersion] = useState(0);
  const since = useMemo(() => new Date(Date.now() - 366 * 86_400_000).toISOString(), [version]);
  const list = useApi<{ statistics: Snapshot[] }>(
    allowed ? '/api/v1/statistics.list' : undefined,
    {
      count: 0,
      sort: JSON.stringify({ createdAt: 1 }),
      fields: FIELDS,
      query: JSON.stringify({ createdAt: { $gte: { $date: since } } }),
    },
    version,
  );
  const newest = useApi<Snapshot>(allowed ? '/api/v1/statistics' : undefined, {}, version);
  const [busy, setBusy] = useState(false);
  const rows = list.data?.statistics ?? [];
  const x = useMemo(() => rows.map((r) => Date.parse(r.createdAt) / 1000), [rows]);
  const counts = useMemo(
    () => COUNTS.map(([key, label]) => ({ label, values: rows.map((r) => Number(r[key] ?? 0)) })),
    [rows],
  );
  const sizes = useMemo(() => {
    // In the unit the largest value reads best: 975 KiB as 0.0009 GiB draws a flat line.
    const largest = Math.max(0, ...rows.map((r) => Number(r.totalRecordingsSize ?? 0)));
    const [unit, divisor] =
      largest >= 2 ** 30 ? ['GiB', 2 ** 30] : largest >= 2 ** 20 ? ['MiB', 2 ** 20] : ['KiB', 2 ** 10];
    return [{ label: `Recordings (${unit})`, values: rows.map((r) => Number(r.totalRecordingsSize ?? 0) / divisor) }];
  }, [rows]);
  if (!allowed)
    return (
      <section class="panel">
        <h1>Statistics</h1>
        <p class="notice">Server statistics are for admins.</p>
      </section>
    );
  const refresh = async () => {
    setBusy(true);
    await api('/api/v1/statistics', { query: { refresh: 'true' } }).catch(() => undefined);
    setBusy(false);
    setVersion(version + 1);
  };
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <div class="dashboard">
      <header class="page-head">
        <h1>Statistics</h1>
        <button type="button" onClick={refresh} disabled={busy}>
          Take a snapshot now
        </button>
      </header>
      <section class="panel wide" aria-labelledby="over-time" data-state={list.loading ? 'loading' : 'ready'}>
        <header>
          <h2 id="over-time">Over the last year</h2>
          <a
            class="csv"
            href={withQuery('/api/v1/statistics.list', {
              count: 0,
              sort: JSON.stringify({ createdAt: 1 }),
              fields: FIELDS,
              query: JSON.stringify({ createdAt: { $gte: { $date: since } } }),
              format: 'csv',
            })}
            download
          >
            CSV<span class="visually-hidden"> of the figures over the last year</span>
          </a>
        </header>
        {list.error && (
          <p class="error" role="alert">
            {list.error}
          </p>
        )}
        {rows.length === 0 && !list.loading && (
          <p class="empty">No snapshots yet: take one now, or wait for the next interval.</p>
        )}
        {rows.length > 0 && <Chart label="Totals over time" x={x} series={counts} zone={zone} height={260} />}
        {rows.length > 0 && <Chart label="Recordings size over time" x={x} series={sizes} zone={zone} height={160} />}
      </section>
      <section class="panel wide" aria-labelledby="newest">
        <h2 id="newest">Newest snapshot</h2>
        {newest.data && (
          <table>
            <tbody>
              {Object.entries(newest.data)
                .filter(([k, v]) => k !== 'success' && (v === null || typeof v !== 'object'))
                .map(([k, v]) => (
                  <tr key={k}>
                    <th scope="row">{k}</th>
                    {/* Numbers stay on one line; text (ids, times) may break: a 36-character id is most of a phone's width. */}
                    <td class={typeof v === 'number' ? 'num' : 'value'}>
                      {typeof v === 'number' && /Size$/.test(k) ? bytes(v) : String(v)}
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
