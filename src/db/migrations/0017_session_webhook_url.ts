import { sql, type Kysely } from 'kysely';

/**
 * Past rooms (plugNmeet's fetchPastRooms) list an account's ended sessions in the order they
 * opened, all of them or those of some rooms; each keeps the webhook URL its events named. The
 * artifact API lists an account's analytics files the same way.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('room_sessions')
    .addColumn('webhook_url', 'text', (c) => c.notNull().defaultTo(sql`''`))
    .execute();
  await db.schema
    .createIndex('room_sessions_account_order_idx')
    .on('room_sessions')
    .columns(['account_id', 'id'])
    .execute();
  await db.schema
    .createIndex('room_sessions_room_order_idx')
    .on('room_sessions')
    .columns(['account_id', 'room_id', 'id'])
    .execute();
  await db.schema
    .createIndex('analytics_files_account_order_idx')
    .on('analytics_files')
    .columns(['account_id', 'id'])
    .execute();
}
