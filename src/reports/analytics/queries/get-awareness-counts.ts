import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.js';

/**
 * Per user who received alerts of a channel in [from, to): exact counts (names come from auth).
 * A delivery repeats an alert (or a report) in the window when the previous delivery of it to the
 * user is in the window too (delivery-chains.ts); the distinct counts leave those out. Two passes:
 * - one range of the (channel, user, time) covering index per recipient, in user order (no sort,
 *   no DISTINCT), counting deliveries and opens;
 * - the repeats, about one delivery in ten, from their partial index (0023), ranged by the time of
 *   the previous delivery of the report: an alert's previous delivery is never later than its
 *   report's, so every repeated alert is in that range too.
 */
export async function getAwarenessCounts(db: Kysely<Database>, channelId: number, from: number, to: number) {
  const [totals, repeats] = await Promise.all([
    db
      .selectFrom('alert_recipients as r')
      // CROSS JOIN: SQLite keeps the recipients outside, so each user is one index range.
      .crossJoin('alert_deliveries as d')
      .select((eb) => ['r.user_id', eb.fn.countAll<number>().as('alerts'), eb.fn.sum<number>('d.opened').as('opened')])
      .where('r.channel_id', '=', channelId)
      .whereRef('d.channel_id', '=', 'r.channel_id')
      .whereRef('d.user_id', '=', 'r.user_id')
      .where('d.sent_at', '>=', from)
      .where('d.sent_at', '<', to)
      .groupBy('r.user_id')
      .orderBy('r.user_id')
      .execute(),
    db
      .selectFrom('alert_deliveries')
      .select((eb) => [
        'user_id',
        eb.fn.countAll<number>().as('reports'),
        eb.fn.countAll<number>().filterWhere('prev_alert_at', '>=', from).as('alerts'),
        eb.fn
          .countAll<number>()
          .filterWhere((w) => w.and([w('opened', '=', 1), w('prev_alert_at', '>=', from)]))
          .as('opened'),
      ])
      .where('channel_id', '=', channelId)
      .where('prev_report_at', '>=', from)
      .where('prev_report_at', '<', to)
      .where('sent_at', '<', to)
      .groupBy('user_id')
      .execute(),
  ]);
  const repeated = new Map(repeats.map((r) => [r.user_id, r]));
  return totals.map((t) => {
    const r = repeated.get(t.user_id);
    return {
      user_id: t.user_id,
      total_alerts: Number(t.alerts),
      unique_alerts: Number(t.alerts) - Number(r?.alerts ?? 0),
      alert_source_reports: Number(t.alerts) - Number(r?.reports ?? 0),
      alerts_opened: Number(t.opened) - Number(r?.opened ?? 0),
    };
  });
}
