import { useEffect, useMemo } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { withQuery } from '../api';
import { Chart } from '../components/chart';
import { useAccount } from '../components/layout';
import { Panel } from '../components/panel';
import { defaultRange, RangePicker, type Range } from '../components/range-picker';
import { downloadCsv } from '../csv';
import { may, useMe } from '../session';
import { addDays, isDate, startOfDay } from '../time';
import { useApi } from '../use-api';
import { AwarenessPanel, FieldPanel, ImagesPanel, StatePanel, UserPanel } from './dashboard-panels';

interface OverTime {
  datetime_range_start: string;
  report_count: number;
}
interface Reads {
  total_reads: number;
  report_readers: number;
}
export interface Awareness {
  user_id: number;
  first_name: string;
  last_name: string;
  total_alerts: number;
  unique_alerts: number;
  alert_source_reports: number;
  alerts_opened: number;
}

/** The API's window for local days [start, end] in a zone. */
export function windowOf(channelId: number, range: Range) {
  return {
    channel_id: channelId,
    start_date: new Date(startOfDay(range.start, range.tz)).toISOString(),
    end_date: new Date(startOfDay(addDays(range.end, 1), range.tz)).toISOString(),
    time_zone: range.tz,
  };
}

/** The period of the same number of days just before. */
function previousOf(range: Range): Range {
  const days = Math.round((Date.parse(range.end) - Date.parse(range.start)) / 86_400_000) + 1;
  return { start: addDays(range.start, -days), end: addDays(range.start, -1), tz: range.tz };
}

const AWARENESS = 'total_alerts,unique_alerts,alert_source_reports,alerts_opened';
const HOURS = Array.from({ length: 24 }, (_, h) => h);
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? 'no change' : 'new';
  const pct = Math.round((100 * (now - before)) / before);
  return `${pct > 0 ? '+' : ''}${pct}%`;
}

function Tile({
  label,
  value,
  before,
  format,
}: {
  label: string;
  value: number;
  before: number;
  format?: (n: number) => string;
}) {
  const shown = format ? format(value) : value.toLocaleString();
  return (
    <div class="tile" role="group" aria-label={label}>
      <span class="tile-label">{label}</span>
      <strong class="tile-value" data-value={value}>
        {shown}
      </strong>
      <span class="tile-change">
        {change(value, before)} <span class="muted">vs previous period</span>
      </span>
    </div>
  );
}

const sum = <T,>(rows: T[] | undefined, pick: (row: T) => number) => (rows ?? []).reduce((n, r) => n + pick(r), 0);
const opened = (rows: Awareness[] | undefined) => {
  const pairs = sum(rows, (r) => r.unique_alerts);
  return pairs === 0 ? 0 : (100 * sum(rows, (r) => r.alerts_opened)) / pairs;
};

export function ChannelDashboard() {
  const me = useMe();
  const { params } = useRoute();
  const { query, path, route } = useLocation();
  const { link } = useAccount();
  const channelId = Number(params.channelId);
  const range: Range | undefined =
    isDate(query.start) && isDate(query.end) && query.tz
      ? { start: query.start, end: query.end, tz: query.tz }
      : undefined;
  // The URL holds the whole view: fill in the default period so a copied link reproduces it.
  useEffect(() => {
    if (!range) route(withQuery(path, { ...query, ...defaultRange() }), true);
  }, [range === undefined]);
  const setRange = (next: Range) => route(withQuery(path, { ...query, ...next }));

  const allowed = may(me, 'view-analytics');
  const w = useMemo(
    () => (range && allowed ? windowOf(channelId, range) : undefined),
    [channelId, range?.start, range?.end, range?.tz],
  );
  const p = useMemo(() => (range && allowed ? windowOf(channelId, previousOf(range)) : undefined), [w]);
  const at = (name: string) => (w ? `/api/v4/analytics/${name}` : undefined);
  const before = (name: string) => (p ? `/api/v4/analytics/${name}` : undefined);

  const channel = useApi<{ name: string }>(`/api/v4/channels/${channelId}`);
  const overTime = useApi<OverTime[]>(at('reports_over_time'), w);
  const overTimeBefore = useApi<OverTime[]>(before('reports_over_time'), p);
  const reads = useApi<Reads>(at('reports_read'), { ...w, fields: 'total_reads,report_readers' });
  const readsBefore = useApi<Reads>(before('reports_read'), { ...p, fields: 'total_reads,report_readers' });
  const awareness = useApi<Awareness[]>(at('user_awareness'), { ...w, fields: AWARENESS });
  const awarenessBefore = useApi<Awareness[]>(before('user_awareness'), { ...p, fields: AWARENESS });
  const perHour = useApi<{ hour: number; report_count: number }[]>(at('reports_per_day_hour'), w);
  const perDay = useApi<{ dow: number; report_count: number }[]>(at('reports_per_week_day'), w);

  const timeSeries = useMemo(() => {
    const rows = overTime.data ?? [];
    const previous = overTimeBefore.data ?? [];
    return {
      x: rows.map((r) => Date.parse(r.datetime_range_start) / 1000),
      series: [
        { label: 'This period', values: rows.map((r) => r.report_count) },
        { label: 'Previous period', values: rows.map((_, i) => previous[i]?.report_count ?? null), muted: true },
      ],
    };
  }, [overTime.data, overTimeBefore.data]);
  const hourSeries = useMemo(
    () => [{ label: 'Reports', values: HOURS.map((h) => perHour.data?.find((r) => r.hour === h)?.report_count ?? 0) }],
    [perHour.data],
  );
  const daySeries = useMemo(
    () => [{ label: 'Reports', values: DAYS.map((_, d) => perDay.data?.find((r) => r.dow === d)?.report_count ?? 0) }],
    [perDay.data],
  );

  if (!allowed)
    return (
      <section class="panel">
        <h1>Channel analytics</h1>
        <p class="notice">
          Your role does not include reading analytics (analysts, managers and admins may).{' '}
          <a href={link('/console/reports')}>Back to the channels</a>.
        </p>
      </section>
    );
  if (!range || !w) return <p class="loading">Loading…</p>;
  const file = (name: string) => `${name}_channel-${channelId}_${range.start}_${range.end}.csv`;
  const tilesState = {
    loading: overTime.loading || reads.loading || awareness.loading,
    error: overTime.error || reads.error || awareness.error,
  };
  const tiles = [
    ['Reports', sum(overTime.data, (r) => r.report_count), sum(overTimeBefore.data, (r) => r.report_count)],
    ['Reads', reads.data?.total_reads ?? 0, readsBefore.data?.total_reads ?? 0],
    ['Readers', reads.data?.report_readers ?? 0, readsBefore.data?.report_readers ?? 0],
    ['Alerts delivered', sum(awareness.data, (r) => r.total_alerts), sum(awarenessBefore.data, (r) => r.total_alerts)],
    ['Opened (%)', opened(awareness.data), opened(awarenessBefore.data)],
  ] as const;

  return (
    <div class="dashboard">
      <header class="page-head">
        <p>
          <a href={link('/console/reports')}>Channels</a> /
        </p>
        <h1>{channel.data?.name ?? (channel.error ? 'Channel not found' : '…')}</h1>
        <RangePicker range={range} onChange={setRange} />
      </header>
      <Panel
        title="Summary"
        wide
        state={tilesState}
        onCsv={() =>
          downloadCsv(
            file('summary'),
            ['figure', 'this_period', 'previous_period'],
            tiles.map(([label, now, then]) => [label, now, then]),
          )
        }
      >
        <div class="tiles">
          {tiles.map(([label, now, then]) => (
            <Tile
              key={label}
              label={label}
              value={now}
              before={then}
              {...(label === 'Opened (%)' ? { format: (n: number) => `${n.toFixed(1)}%` } : {})}
            />
          ))}
        </div>
      </Panel>
      <Panel
        title="Reports over time"
        wide
        state={overTime}
        empty={timeSeries.series[0]!.values.every((v) => !v)}
        onCsv={() =>
          downloadCsv(
            file('reports_over_time'),
            ['datetime_range_start', 'report_count', 'previous_period_report_count'],
            (overTime.data ?? []).map((r, i) => [
              r.datetime_range_start,
              r.report_count,
              overTimeBefore.data?.[i]?.report_count ?? '',
            ]),
          )
        }
      >
        <Chart
          label="Reports over time, this period and the previous one"
          x={timeSeries.x}
          series={timeSeries.series}
          zone={range.tz}
        />
      </Panel>
      <Panel title="Per hour of day" state={perHour} csv={{ path: '/api/v4/analytics/reports_per_day_hour', query: w }}>
        <Chart label="Reports per hour of day" x={HOURS} series={hourSeries} categories={HOURS.map(String)} bars />
      </Panel>
      <Panel title="Per week day" state={perDay} csv={{ path: '/api/v4/analytics/reports_per_week_day', query: w }}>
        <Chart label="Reports per week day" x={DAYS.map((_, i) => i)} series={daySeries} categories={DAYS} bars />
      </Panel>
      <StatePanel window={w} />
      <UserPanel window={w} file={file('reports_per_user')} />
      <FieldPanel window={w} />
      <AwarenessPanel rows={awareness.data} state={awareness} window={w} fields={AWARENESS} />
      <ImagesPanel window={w} />
    </div>
  );
}
