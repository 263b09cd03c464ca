import { sql, type Kysely } from 'kysely';

/**
 * user_awareness counts a window's deliveries per recipient, less the repeats: deliveries whose
 * previous delivery of the same report (and so of the same alert) to the user is in the window too.
 * Repeats are about one delivery in ten, so they get their own partial index, ranged by that
 * previous time, and the per-recipient pass only counts rows and opens.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('alert_deliveries_repeats_idx')
    .on('alert_deliveries')
    .columns(['channel_id', 'prev_report_at', 'sent_at', 'user_id', 'prev_alert_at', 'opened'])
    .where(sql.ref('prev_report_at'), 'is not', null)
    .execute();
}
