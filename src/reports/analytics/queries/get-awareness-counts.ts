import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.js';

/**
 * Per user who received alerts of a channel in [from, to): exact counts (names come from auth).
 * One range of the (channel, user, time) covering index per recipient, in user order: no sort, no
 * DISTINCT. A delivery repeats an alert (or a report) in the window when the previous delivery of
 * it to the user is in the window too (delivery-chains.ts); the distinct counts leave those out.
 */
export async function getAwarenessCounts(db: Kysely<Database>, channelId: number, from: number, to: number) {
  const rows = await db
    .selectFrom('alert_recipients as r')
    // CROSS JOIN: SQLite keeps the recipients outside, so each user is one index range.
    .crossJoin('alert_deliveries as d')
    .select((eb) => {
      const repeats = (column: 'd.prev_alert_at' | 'd.prev_report_at') =>
        eb.fn.countAll<number>().filterWhere(column, '>=', from);
      return [
        'r.user_id',
        eb.fn.countAll<number>().as('total_alerts'),
        repeats('d.prev_alert_at').as('repeated_alerts'),
        repeats('d.prev_report_at').as('repeated_reports'),
        eb.fn.sum<number>('d.opened').as('opened'),
        eb.fn
          .countAll<number>()
          .filterWhere((w) => w.and([w('d.opened', '=', 1), w('d.prev_alert_at', '>=', from)]))
          .as('repeated_opened'),
      ];
    })
    .where('r.channel_id', '=', channelId)
    .whereRef('d.channel_id', '=', 'r.channel_id')
    .whereRef('d.user_id', '=', 'r.user_id')
    .where('d.sent_at', '>=', from)
    .where('d.sent_at', '<', to)
    .groupBy('r.user_id')
    .orderBy('r.user_id')
    .execute();
  return rows.map((r) => ({
    user_id: r.user_id,
    total_alerts: Number(r.total_alerts),
    unique_alerts: Number(r.total_alerts) - Number(r.repeated_alerts),
    alert_source_reports: Number(r.total_alerts) - Number(r.repeated_reports),
    alerts_opened: Number(r.opened) - Number(r.repeated_opened),
  }));
}
