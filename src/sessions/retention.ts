import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { removeEach } from '../shared/remove-each.js';
import type { FileStorage } from '../storage/files.js';
import { deleteAnalytics } from './deletion.js';

/**
 * What retention removes from sessions: analytics files written before the cutoff (through the
 * trash, like any other delete), and the raw events of closed sessions whose last event is older.
 * Each call does one small batch and says how much it removed, or undefined when nothing has
 * expired; the janitor calls again until then.
 */

/** Deletes up to `limit` analytics files created before `cutoffMs`; returns how many went. */
export async function deleteExpiredAnalytics(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  cutoffMs: number,
  options: { limit: number; trashDays: number; now: number },
): Promise<number | undefined> {
  const expired = await db
    .selectFrom('analytics_files')
    .select('file_id')
    .where('account_id', '=', accountId)
    .where('creation_time', '<', Math.ceil(cutoffMs / 1000))
    .orderBy('creation_time')
    .limit(options.limit)
    .execute();
  if (expired.length === 0) return undefined;
  // Another instance's janitor (or a user) may have deleted one since: it is not counted here.
  return removeEach(expired, ({ file_id }) => deleteAnalytics(db, storage, accountId, file_id, options));
}

/**
 * Deletes up to `limit` raw events of the oldest closed session whose last event is before
 * `cutoffMs`. Its participant count is kept first (past rooms show it), and the session is marked
 * once no event is left. Returns how many events it removed; undefined when no session has expired.
 */
export async function deleteExpiredEvents(
  db: Kysely<Database>,
  accountId: number,
  cutoffMs: number,
  limit: number,
): Promise<number | undefined> {
  const session = await db
    .selectFrom('room_sessions')
    .select('id')
    .where('account_id', '=', accountId)
    .where('state', '=', 'closed')
    .where('events_purged_at', 'is', null)
    .where('last_event_at', '<', cutoffMs)
    .orderBy('last_event_at')
    .limit(1)
    .executeTakeFirst();
  if (!session) return undefined;
  return db.transaction().execute(async (trx) => {
    await trx
      .updateTable('room_sessions')
      .set((eb) => ({
        joined_participants: eb.fn.coalesce(
          'joined_participants',
          eb
            .selectFrom('room_events')
            .select(sql<number>`count(distinct user_id)`.as('n'))
            .where('session_id', '=', session.id)
            .where('event', '=', 'participant_joined'),
        ),
      }))
      .where('id', '=', session.id)
      .execute();
    const batch = trx.selectFrom('room_events').select('id').where('session_id', '=', session.id).limit(limit);
    const result = await trx.deleteFrom('room_events').where('id', 'in', batch).executeTakeFirst();
    const removed = Number(result.numDeletedRows);
    if (removed < limit)
      await trx
        .updateTable('room_sessions')
        .set({ events_purged_at: Date.now() })
        .where('id', '=', session.id)
        .execute();
    return removed;
  });
}
