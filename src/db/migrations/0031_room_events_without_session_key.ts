import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * PostgreSQL: room events no longer carry a foreign key to their session. The key is checked by a
 * trigger once per inserted row, and events arrive in batches of hundreds: 500 events spent ~2 ms
 * (a fifth of the batch's transaction) on that check alone. Nothing it guards can happen:
 * `ingestEvents` stores events only for sessions it has just found or opened, in the same
 * transaction, and sessions are never deleted (retention deletes a session's events and keeps the
 * session). Whatever one day deletes sessions must delete their events first.
 * SQLite keeps the key: its check is an index probe in the same process, and dropping it would
 * rebuild the table.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine !== 'postgres') return;
  await sql`alter table room_events drop constraint if exists room_events_session_id_fkey`.execute(db);
}
