import { type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * reports_read's exact distinct counts: reads of a channel ordered by (user, report) and by report,
 * so distinct pairs, readers and reports stream in index order instead of sorting every read of
 * the window (hot channel, one year: 300 ms → under 100 ms on SQLite).
 */
export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createIndex('report_reads_channel_user_idx')
    .on('report_reads')
    .columns(['channel_id', 'user_id', 'report_id', 'read_at'])
    .execute();
  await db.schema
    .createIndex('report_reads_channel_report_idx')
    .on('report_reads')
    .columns(['channel_id', 'report_id', 'read_at'])
    .execute();
}
