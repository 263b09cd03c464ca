import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { removeEach } from '../shared/remove-each.js';
import type { FileStorage } from '../storage/files.js';
import { deleteRecording } from './deletion.js';

/**
 * Deletes up to `limit` recordings created before `cutoffMs`, through the trash like any other
 * delete (so the counters follow in each delete's transaction). Returns how many went; undefined
 * when none has expired (the janitor calls again until then).
 */
export async function deleteExpiredRecordings(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  cutoffMs: number,
  options: { limit: number; trashDays: number; now: number },
): Promise<number | undefined> {
  const expired = await db
    .selectFrom('recordings')
    .select('record_id')
    .where('account_id', '=', accountId)
    .where('creation_time', '<', Math.ceil(cutoffMs / 1000))
    .orderBy('creation_time')
    .limit(options.limit)
    .execute();
  if (expired.length === 0) return undefined;
  // Another instance's janitor (or a user) may have deleted one since: it is not counted here.
  return removeEach(expired, ({ record_id }) =>
    deleteRecording(db, storage, accountId, record_id, options.trashDays, options.now),
  );
}
