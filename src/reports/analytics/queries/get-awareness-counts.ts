import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.js';

/** Per user who received alerts of a channel in [from, to): exact counts (names come from auth). */
export async function getAwarenessCounts(db: Kysely<Database>, channelId: number, from: number, to: number) {
  const rows = await db
    .selectFrom('alert_deliveries as d')
    .select((eb) => [
      'd.user_id',
      eb.fn.countAll<number>().as('total_alerts'),
      eb.fn.count<number>('d.alert_id').distinct().as('unique_alerts'),
      eb.fn.count<number>('d.report_id').distinct().as('alert_source_reports'),
      // Alerts delivered to the user in the window that the user opened (at any time).
      eb.fn
        .count<number>(
          eb
            .case()
            .when(
              eb.exists(
                eb
                  .selectFrom('alert_opens as o')
                  .select('o.id')
                  .whereRef('o.alert_id', '=', 'd.alert_id')
                  .whereRef('o.user_id', '=', 'd.user_id'),
              ),
            )
            .then(eb.ref('d.alert_id'))
            .end(),
        )
        .distinct()
        .as('alerts_opened'),
    ])
    .where('d.channel_id', '=', channelId)
    .where('d.sent_at', '>=', from)
    .where('d.sent_at', '<', to)
    .groupBy('d.user_id')
    .orderBy('d.user_id')
    .execute();
  return rows.map((r) => ({
    user_id: r.user_id,
    total_alerts: Number(r.total_alerts),
    unique_alerts: Number(r.unique_alerts),
    alert_source_reports: Number(r.alert_source_reports),
    alerts_opened: Number(r.alerts_opened),
  }));
}
