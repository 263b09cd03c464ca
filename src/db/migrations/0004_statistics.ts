import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull } from '../dialect.js';

/**
 * Server statistics:
 * - statistics_snapshots: each snapshot document as stored (JSON text), with its creation instant
 *   as a column so ranges and sorts on `createdAt` run in SQL.
 * - instances: one row per running instance, refreshed by a heartbeat (`instanceCount`).
 * - recording_room_totals.total_size: bytes per room, kept with the count, so a snapshot never
 *   sums the recordings table.
 */
export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('statistics_snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', notNull)
    .addColumn('document', 'text', notNull)
    .execute();
  await db.schema
    .createIndex('statistics_snapshots_created_at_idx')
    .on('statistics_snapshots')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema
    .createTable('instances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', notNull)
    .addColumn('last_seen_at', 'bigint', notNull)
    .execute();

  await db.schema
    .alterTable('recording_room_totals')
    .addColumn('total_size', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update recording_room_totals set total_size = coalesce((select sum(r.file_size) from recordings r
    where r.account_id = recording_room_totals.account_id and r.room_id = recording_room_totals.room_id), 0)`.execute(
    db,
  );
}
