import { sql } from 'kysely';
import { hmacSha256Hex } from '../src/auth/crypto.js';
import { HOT_ROOMS, hotRoom, typicalRoom } from './datasets/recordings.js';
import { HOT_CHANNEL, HOT_FIELD, TYPICAL_CHANNEL } from './datasets/reports.js';
import { scaled } from './datasets/types.js';
import { timePerCall, type BenchContext, type LoadRequest, type Scenario } from './lib/scenario.js';

/** The HTTP ceiling: a static 20-item JSON page through the same server stack. */
export const ceiling: Scenario = {
  name: 'ceiling: static 20-item JSON',
  requests: () => [{ method: 'GET', path: '/bench/static' }],
};

function signed(context: BenchContext, path: string, body: unknown): LoadRequest {
  const raw = JSON.stringify(body);
  return {
    method: 'POST',
    path,
    body: raw,
    headers: {
      'content-type': 'application/json',
      'api-key': context.apiKey,
      'hash-signature': hmacSha256Hex(context.apiSecret, raw),
    },
  };
}

const typicalTriples = (context: BenchContext) => {
  const rooms = scaled(10_000, context.scale, 20) - HOT_ROOMS;
  return Array.from({ length: 60 }, (_, i) => [
    typicalRoom((i * 37) % rooms),
    typicalRoom((i * 37 + 11) % rooms),
    typicalRoom((i * 37 + 23) % rooms),
  ]);
};
const hotTriples = () =>
  Array.from({ length: HOT_ROOMS }, (_, i) => [hotRoom(i), hotRoom((i + 1) % HOT_ROOMS), hotRoom((i + 2) % HOT_ROOMS)]);

/** What a straightforward implementation runs: IN … ORDER BY … OFFSET, plus COUNT(*). */
function straightforward(triples: (c: BenchContext) => string[][], from: number) {
  return {
    label: 'plain SQL',
    run: async (context: BenchContext) => {
      const rooms = triples(context);
      let i = 0;
      return timePerCall(async () => {
        const triple = rooms[i++ % rooms.length]!;
        await sql`select * from recordings where account_id = 1 and room_id in (${sql.join(triple)}) order by creation_time desc, record_id desc limit 20 offset ${from}`.execute(
          context.db,
        );
        await sql`select count(*) from recordings where account_id = 1 and room_id in (${sql.join(triple)})`.execute(
          context.db,
        );
      }, 30);
    },
  };
}

const recordingsFetch = (name: string, triples: (c: BenchContext) => string[][], from: number): Scenario => ({
  name,
  requests: (context) =>
    triples(context).map((room_ids) =>
      signed(context, '/auth/recording/fetch', { room_ids, from, limit: 20, order_by: 'DESC' }),
    ),
  reference: straightforward(triples, from),
});

/** statistics.list: the last 30 days of the 10,000 snapshots, newest first, 50 at a time. */
const statisticsList: Scenario = {
  name: 'statistics.list: 30-day range, newest 50',
  requests: (context) => {
    const query = JSON.stringify({
      createdAt: {
        $gte: { $date: new Date(context.now - 30 * 86_400_000).toISOString() },
        $lt: { $date: new Date(context.now).toISOString() },
      },
    });
    const search = new URLSearchParams({ query, sort: '{"createdAt":-1}', count: '50' });
    return [
      {
        method: 'GET',
        path: `/api/v1/statistics.list?${search}`,
        headers: { 'x-user-id': '1', 'x-auth-token': context.adminToken },
      },
    ];
  },
  reference: {
    label: 'plain SQL (parse every row, filter, sort)',
    run: async (context) =>
      timePerCall(async () => {
        const rows = await sql<{ document: string }>`select document from statistics_snapshots`.execute(context.db);
        const from = new Date(context.now - 30 * 86_400_000).toISOString();
        const to = new Date(context.now).toISOString();
        const docs = rows.rows
          .map((r) => JSON.parse(r.document) as { createdAt: string })
          .filter((d) => d.createdAt >= from && d.createdAt < to);
        docs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
        return docs.slice(0, 50);
      }, 10),
  },
};

/** Analytics fetch: same room triples as recordings, one page of 20. */
const analyticsFetch = (name: string, triples: (c: BenchContext) => string[][]): Scenario => ({
  name,
  requests: (context) =>
    triples(context).map((room_ids) =>
      signed(context, '/auth/analytics/fetch', { room_ids, from: 0, limit: 20, order_by: 'DESC' }),
    ),
  reference: {
    label: 'plain SQL',
    run: async (context) => {
      const rooms = triples(context);
      let i = 0;
      return timePerCall(async () => {
        const triple = rooms[i++ % rooms.length]!;
        await sql`select * from analytics_files where account_id = 1 and room_id in (${sql.join(triple)}) order by creation_time desc, file_id desc limit 20`.execute(
          context.db,
        );
        await sql`select count(*) from analytics_files where account_id = 1 and room_id in (${sql.join(triple)})`.execute(
          context.db,
        );
      }, 30);
    },
  },
});

/**
 * Room events in, 500 per call, without ids (no dedupe lookups: the cheapest honest batch is the
 * one a media server sends). 40 distinct open sessions; each call stores 500 new events.
 */
const eventIngestion: Scenario = {
  name: 'room-events: batches of 500 (× 500 = events/s)',
  requests: (context) => {
    // Sessions of this run only: an earlier run's are closed, and events for them are late (not stored).
    const run = Date.now().toString(36);
    return Array.from({ length: 40 }, (_, s) => {
      const room = { room_id: `ingest-room-${s}`, room_sid: `RM_ingest_${run}_${s}` };
      const events = Array.from({ length: 500 }, (_, i) => {
        const user = `user${(i % 25) + 2}`;
        const kinds = ['mic_status', 'public_chat', 'talked_duration', 'webcam_status', 'raise_hand'] as const;
        const event = kinds[i % kinds.length]!;
        return {
          event,
          ...room,
          time: context.now + i * 1000,
          user_id: user,
          name: user,
          ...(event === 'talked_duration'
            ? { value: 1500 }
            : event === 'public_chat'
              ? {}
              : { value: i % 2 ? 'on' : 'off' }),
        };
      });
      return signed(context, '/auth/room/events', { events });
    });
  },
};

/** Reports v4 analytics over the year before `now`, on the hot channel and on a typical one. */
function reportAnalytics(channel: 'hot' | 'typical', endpoint: string, extra: Record<string, string> = {}): Scenario {
  const channelId = channel === 'hot' ? HOT_CHANNEL : TYPICAL_CHANNEL;
  return {
    name: `reports ${channel}: ${endpoint}`,
    requests: (context) => {
      const search = new URLSearchParams({
        channel_id: String(channelId),
        start_date: new Date(context.now - 365 * 86_400_000).toISOString(),
        end_date: new Date(context.now).toISOString(),
        time_zone: 'Europe/Berlin',
        ...extra,
      });
      return [
        {
          method: 'GET',
          path: `/api/v4/analytics/${endpoint}?${search}`,
          headers: { authorization: `Bearer ${context.adminToken}` },
        },
      ];
    },
  };
}

const REPORT_ENDPOINTS: [string, Record<string, string>?][] = [
  ['reports_images'],
  ['reports_over_time'],
  ['reports_per_field_selection', { field_id: String(HOT_FIELD) }],
  ['reports_per_state'],
  ['reports_per_user'],
  ['reports_per_day_hour'],
  ['reports_per_week_day'],
  ['reports_read', { fields: 'total_reads,unique_reads,report_readers,reports_seen' }],
  ['user_awareness', { fields: 'total_alerts,unique_alerts,alert_source_reports,alerts_opened' }],
];

/** Every module's scenarios, after the ceiling. */
export const SCENARIOS: Scenario[] = [
  recordingsFetch('recordings: 3 typical rooms', typicalTriples, 0),
  recordingsFetch('recordings: 3 hot rooms from 0', hotTriples, 0),
  recordingsFetch('recordings: 3 hot rooms from 5,000', hotTriples, 5000),
  analyticsFetch('analytics: 3 typical rooms', typicalTriples),
  analyticsFetch('analytics: 3 hot rooms from 0', hotTriples),
  eventIngestion,
  statisticsList,
  ...REPORT_ENDPOINTS.map(([endpoint, extra]) => reportAnalytics('hot', endpoint, extra)),
  // The typical channel has no form: per_field_selection is measured on the hot one only.
  ...REPORT_ENDPOINTS.filter(([endpoint]) => endpoint !== 'reports_per_field_selection').map(([endpoint, extra]) =>
    reportAnalytics('typical', endpoint, extra),
  ),
];
