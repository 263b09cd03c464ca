import type { Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { MAP_KIND, splitAtDays } from '../../counts/count-maps.js';
import { sumCountMaps } from '../../counts/map-reads.js';

const DAY = 86_400_000;

/**
 * Deliveries and opened deliveries per recipient in some time ranges (one index range each).
 * Prepared, like the repeats' query below: on PostgreSQL, planning either took longer (~2 ms)
 * than running it.
 */
const deliveriesQuery = preparedQuery(
  (db, s: { ranges: number }, v: { channelId: number; froms: number[]; tos: number[] }) =>
    db
      .selectFrom('alert_deliveries')
      .select((eb) => ['user_id', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('opened').as('opened')])
      .where('channel_id', '=', v.channelId)
      .where((eb) =>
        eb.or(
          Array.from({ length: s.ranges }, (_, i) =>
            eb.and([eb('sent_at', '>=', v.froms[i]!), eb('sent_at', '<', v.tos[i]!)]),
          ),
        ),
      )
      .groupBy('user_id'),
);

function deliveriesBetween(db: Kysely<Database>, channelId: number, ranges: readonly [number, number][]) {
  if (ranges.length === 0) return Promise.resolve([]);
  return deliveriesQuery(
    db,
    { ranges: ranges.length },
    { channelId, froms: ranges.map(([from]) => from), tos: ranges.map(([, to]) => to) },
  );
}

/** Per recipient, the deliveries of [from, to) that repeat one of the window (see below). */
const repeatsQuery = preparedQuery(
  (db, _s: Record<string, never>, v: { channelId: number; from: number; to: number }) =>
    db
      .selectFrom('alert_deliveries')
      .select((eb) => [
        'user_id',
        eb.fn.countAll<number>().as('reports'),
        eb.fn.countAll<number>().filterWhere('prev_alert_at', '>=', v.from).as('alerts'),
        eb.fn
          .countAll<number>()
          .filterWhere((w) => w.and([w('opened', '=', 1), w('prev_alert_at', '>=', v.from)]))
          .as('opened'),
      ])
      .where('channel_id', '=', v.channelId)
      .where('prev_report_at', '>=', v.from)
      .where('prev_report_at', '<', v.to)
      .where('sent_at', '<', v.to)
      .groupBy('user_id'),
);

/**
 * Per user who received alerts of a channel in [from, to): exact counts, and `namesOf` the
 * recipients (user ids in order), asked as soon as the recipients are known so that it runs beside
 * the repeats' query (on PostgreSQL, another connection's round trip).
 * - Deliveries and opened deliveries of the window's whole UTC days come from the recipients'
 *   delivery maps (a year is ~60 rows); those of the partial days at its edges are read raw.
 * - A delivery repeats an alert (or a report) in the window when the previous delivery of it to
 *   the user is in the window too (delivery-chains.ts); the distinct counts leave those out. The
 *   repeats, about one delivery in ten, come from their partial index (0023), ranged by the time of
 *   the previous delivery of the report: an alert's previous delivery is never later than its
 *   report's, so every repeated alert is in that range too.
 */
export async function getAwarenessCounts<Names>(
  db: Kysely<Database>,
  channelId: number,
  from: number,
  to: number,
  namesOf: (userIds: number[]) => Promise<Names>,
) {
  const { days, rest: edges } = splitAtDays(from, to, DAY);
  const arms = days.map((range) => ({ ...range, group: 0 }));
  const delivered = Promise.all([
    sumCountMaps(db, channelId, MAP_KIND.deliveries, arms),
    sumCountMaps(db, channelId, MAP_KIND.openedDeliveries, arms),
    deliveriesBetween(db, channelId, edges),
  ]).then(([deliveries, opened, raw]) => {
    const totals = deliveries.get(0) ?? new Map<number, number>();
    const opens = opened.get(0) ?? new Map<number, number>();
    for (const r of raw) {
      totals.set(r.user_id, (totals.get(r.user_id) ?? 0) + Number(r.n));
      opens.set(r.user_id, (opens.get(r.user_id) ?? 0) + Number(r.opened));
    }
    // User ids sorted natively: a comparator sort of 500 entries costs ~60 µs.
    const recipients = [...Float64Array.from(totals.keys()).sort()].filter((userId) => totals.get(userId)! > 0);
    return { totals, opens, recipients };
  });
  const [{ totals, opens, recipients }, repeats, names] = await Promise.all([
    delivered,
    repeatsQuery(db, {}, { channelId, from, to }),
    delivered.then(({ recipients }) => namesOf(recipients)),
  ]);
  const repeated = new Map(repeats.map((r) => [r.user_id, r]));
  const rows = recipients.map((userId) => {
    const alerts = totals.get(userId)!;
    const r = repeated.get(userId);
    return {
      user_id: userId,
      total_alerts: alerts,
      unique_alerts: alerts - Number(r?.alerts ?? 0),
      alert_source_reports: alerts - Number(r?.reports ?? 0),
      alerts_opened: (opens.get(userId) ?? 0) - Number(r?.opened ?? 0),
    };
  });
  return { rows, names };
}
