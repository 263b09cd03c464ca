import { sql, type Kysely } from 'kysely';
import { notNull } from '../dialect.js';

/**
 * Retention. `retention_settings`: an account's own periods in days per kind of data (null: the
 * installation's default; 0: kept forever). The janitor finds what has expired through the
 * indexes below, and deletes a report's reads and an alert's deliveries by their parent (the
 * foreign keys' cascades look children up the same way: without these, by a full scan per row).
 * A session whose raw events were deleted keeps its participant count (`joined_participants`)
 * for plugNmeet's past rooms, and `events_purged_at` says when its events went.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('retention_settings')
    .addColumn('account_id', 'bigint', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('room_events_days', 'integer')
    .addColumn('analytics_files_days', 'integer')
    .addColumn('recordings_days', 'integer')
    .addColumn('reports_days', 'integer')
    .addColumn('updated_at', 'bigint', notNull)
    .execute();

  await db.schema.alterTable('room_sessions').addColumn('events_purged_at', 'bigint').execute();
  await db.schema.alterTable('room_sessions').addColumn('joined_participants', 'integer').execute();
  await db.schema
    .createIndex('room_sessions_events_expiry_idx')
    .on('room_sessions')
    .columns(['account_id', 'last_event_at'])
    .where(sql<boolean>`state = 'closed' and events_purged_at is null`)
    .execute();
  await db.schema
    .createIndex('recordings_account_time_idx')
    .on('recordings')
    .columns(['account_id', 'creation_time'])
    .execute();
  await db.schema
    .createIndex('analytics_files_account_time_idx')
    .on('analytics_files')
    .columns(['account_id', 'creation_time'])
    .execute();
  await db.schema.createIndex('report_reads_report_idx').on('report_reads').column('report_id').execute();
  await db.schema.createIndex('alert_deliveries_alert_idx').on('alert_deliveries').column('alert_id').execute();
}
