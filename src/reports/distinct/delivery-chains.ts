import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { CountMapDeltas } from '../counts/count-maps.js';

/**
 * What user_awareness counts without DISTINCT: every delivery knows the time of the previous
 * delivery of the same alert, and of an alert of the same report, to the same user (null: it is the
 * first), and whether the user opened the alert. A user's distinct alerts in [L, R) are then the
 * deliveries in the window less those whose previous one is in it too (at or after L); the
 * deliveries per recipient are counted in the delivery maps (count-maps.ts). Kept in the
 * transaction of every delivery and open, after the channel's totals row is locked, so writers of
 * one channel link in turn.
 */

/** One alert's or report's deliveries to some users: recomputed whole (a chain is a handful of rows). */
async function relink(
  db: Kysely<Database>,
  chain: { column: 'alert_id' | 'report_id'; id: number; prev: 'prev_alert_at' | 'prev_report_at' },
  userIds: readonly number[],
): Promise<void> {
  const { column, id, prev } = chain;
  await sql`update alert_deliveries set ${sql.ref(prev)} = l.prev_at
    from (select d.id, lag(d.sent_at) over (partition by d.user_id order by d.sent_at, d.id) as prev_at
          from alert_deliveries d where ${sql.ref(`d.${column}`)} = ${id} and d.user_id in (${sql.join(userIds)})) as l
    where l.id = alert_deliveries.id`.execute(db);
}

/**
 * Links deliveries just inserted (one alert, some users, at `sentAt`) and counts them in their
 * recipients' delivery maps.
 */
export async function linkDeliveries(
  db: Kysely<Database>,
  alert: { id: number; report_id: number; channel_id: number },
  userIds: readonly number[],
  sentAt: number,
): Promise<void> {
  const maps = new CountMapDeltas();
  for (const userId of userIds) maps.addDelivery(alert.channel_id, userId, sentAt, false, 1);
  for (let i = 0; i < userIds.length; i += 500) {
    const users = [...new Set(userIds.slice(i, i + 500))];
    await relink(db, { column: 'alert_id', id: alert.id, prev: 'prev_alert_at' }, users);
    await relink(db, { column: 'report_id', id: alert.report_id, prev: 'prev_report_at' }, users);
    // A user who opened the alert before has opened the new delivery too.
    const opened = await db
      .updateTable('alert_deliveries')
      .set({ opened: 1 })
      .where('alert_id', '=', alert.id)
      .where('user_id', 'in', users)
      .where('opened', '=', 0)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('alert_opens as o')
            .select('o.id')
            .where('o.alert_id', '=', alert.id)
            .whereRef('o.user_id', '=', 'alert_deliveries.user_id'),
        ),
      )
      .returning(['user_id', 'sent_at'])
      .execute();
    for (const d of opened) maps.addOpened(alert.channel_id, d.user_id, d.sent_at);
  }
  await maps.flush(db);
}

/** An open marks the user's deliveries of the alert as opened, and counts them in the opened maps. */
export async function markOpened(db: Kysely<Database>, alertId: number, userId: number): Promise<void> {
  const opened = await db
    .updateTable('alert_deliveries')
    .set({ opened: 1 })
    .where('alert_id', '=', alertId)
    .where('user_id', '=', userId)
    .where('opened', '=', 0)
    .returning(['channel_id', 'sent_at'])
    .execute();
  const maps = new CountMapDeltas();
  for (const d of opened) maps.addOpened(d.channel_id, userId, d.sent_at);
  await maps.flush(db);
}
