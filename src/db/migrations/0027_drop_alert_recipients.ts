import type { Kysely } from 'kysely';

/**
 * user_awareness reads its recipients from the delivery maps (0025): the list of a channel's
 * recipients, and the per-recipient covering index it was walked with, only cost writes now.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('alert_recipients').execute();
  await db.schema.dropIndex('alert_deliveries_channel_user_time_idx').execute();
}
