import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull, withIdColumn } from '../dialect.js';

/**
 * Session analytics:
 * - room_sessions: one per (account, room_sid); `state` open → ended (its file still to write) →
 *   closed. A restart finds ended sessions and writes their files, so no session is lost.
 * - room_events: every accepted event; `event_id` (when given) is unique per account, so a webhook
 *   retry is stored once.
 * - analytics_files: one per closed session, listed by plugNmeet's analytics/fetch; per-room totals
 *   kept with every insert and delete, like recordings.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await withIdColumn(db.schema.createTable('room_sessions'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('room_id', 'text', notNull)
    .addColumn('room_sid', 'text', notNull)
    .addColumn('room_title', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('state', 'text', notNull)
    .addColumn('started_at', 'bigint', notNull)
    .addColumn('last_event_at', 'bigint', notNull)
    .addColumn('last_seen_at', 'bigint', notNull)
    .addColumn('ended_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('room_sessions_sid_key')
    .on('room_sessions')
    .unique()
    .columns(['account_id', 'room_sid'])
    .execute();
  // The sweeper's two questions: open sessions idle since…, and ended sessions without a file.
  await db.schema
    .createIndex('room_sessions_state_idx')
    .on('room_sessions')
    .columns(['state', 'last_seen_at'])
    .execute();

  await withIdColumn(db.schema.createTable('room_events'), engine)
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('session_id', 'bigint', (c) => c.notNull().references('room_sessions.id').onDelete('cascade'))
    .addColumn('event_id', 'text')
    .addColumn('event', 'text', notNull)
    .addColumn('time', 'bigint', notNull)
    .addColumn('user_id', 'text')
    .addColumn('name', 'text')
    .addColumn('is_admin', 'integer')
    .addColumn('ex_user_id', 'text')
    .addColumn('value', 'text')
    .execute();
  await db.schema.createIndex('room_events_session_idx').on('room_events').columns(['session_id', 'time']).execute();
  await db.schema
    .createIndex('room_events_event_id_key')
    .on('room_events')
    .unique()
    .columns(['account_id', 'event_id'])
    .where(sql.ref('event_id'), 'is not', null)
    .execute();

  await withIdColumn(db.schema.createTable('analytics_files'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('file_id', 'text', notNull)
    .addColumn('room_id', 'text', notNull)
    .addColumn('room_sid', 'text', notNull)
    .addColumn('file_name', 'text', notNull)
    .addColumn('file_path', 'text', notNull)
    .addColumn('file_size', 'bigint', notNull)
    .addColumn('creation_time', 'bigint', notNull)
    .addColumn('room_creation_time', 'bigint', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .execute();
  await db.schema
    .createIndex('analytics_files_file_id_key')
    .on('analytics_files')
    .unique()
    .columns(['account_id', 'file_id'])
    .execute();
  await db.schema
    .createIndex('analytics_files_room_order_idx')
    .on('analytics_files')
    .columns(['account_id', 'room_id', 'creation_time', 'file_id', 'id'])
    .execute();
  let totals = db.schema
    .createTable('analytics_room_totals')
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('room_id', 'text', notNull)
    .addColumn('total', 'bigint', notNull)
    .addColumn('total_size', 'bigint', notNull)
    .addPrimaryKeyConstraint('analytics_room_totals_pkey', ['account_id', 'room_id']);
  if (engine === 'sqlite') totals = totals.modifyEnd(sql`without rowid`);
  await totals.execute();
}
