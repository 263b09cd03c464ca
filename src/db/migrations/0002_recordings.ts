import { type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull, withIdColumn } from '../dialect.js';

/**
 * Recordings, with two counters kept in the same transaction as every insert and delete:
 * - recording_room_totals: total per room, so `total_recordings` never counts rows;
 * - recording_room_days: count per room per UTC day of creation_time, so a deep page
 *   (`from` in the thousands) finds the day it starts in without walking the rows before it.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await withIdColumn(db.schema.createTable('recordings'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('record_id', 'text', notNull)
    .addColumn('room_id', 'text', notNull)
    .addColumn('room_sid', 'text', notNull)
    .addColumn('room_title', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('file_path', 'text', notNull)
    .addColumn('file_size', 'bigint', notNull)
    .addColumn('creation_time', 'bigint', notNull)
    .addColumn('room_creation_time', 'bigint', notNull)
    .addColumn('metadata', 'text', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .execute();
  await db.schema
    .createIndex('recordings_record_id_key')
    .on('recordings')
    .unique()
    .columns(['account_id', 'record_id'])
    .execute();
  // The order of every list: creation_time, ties by record_id. Covering for the merge's sort keys.
  await db.schema
    .createIndex('recordings_room_order_idx')
    .on('recordings')
    .columns(['account_id', 'room_id', 'creation_time', 'record_id', 'id'])
    .execute();
  await db.schema
    .createIndex('recordings_session_order_idx')
    .on('recordings')
    .columns(['account_id', 'room_sid', 'creation_time', 'record_id'])
    .execute();

  await db.schema
    .createTable('recording_room_totals')
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('room_id', 'text', notNull)
    .addColumn('total', 'bigint', notNull)
    .addPrimaryKeyConstraint('recording_room_totals_pkey', ['account_id', 'room_id'])
    .execute();

  await db.schema
    .createTable('recording_room_days')
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('room_id', 'text', notNull)
    .addColumn('day', 'integer', notNull)
    .addColumn('total', 'bigint', notNull)
    .addPrimaryKeyConstraint('recording_room_days_pkey', ['account_id', 'room_id', 'day'])
    .execute();
}
