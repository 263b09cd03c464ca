import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { restoreRecording, trashedRecordings } from '../recordings/deletion.js';
import { restoreAnalytics, trashedAnalytics } from '../sessions/deletion.js';
import type { FileStorage } from '../storage/files.js';
import { purgeExpired, type TrashKind } from '../storage/trash.js';

/** The trash as people see it: both kinds in one list, restore by kind and id, and the janitor's purge. */

export interface TrashItem {
  kind: TrashKind;
  id: string;
  room_id: string;
  file_size: number;
  trashed_at: number;
  purge_at: number;
}

export async function listTrashItems(db: Kysely<Database>, accountId: number, kind?: TrashKind): Promise<TrashItem[]> {
  const items: TrashItem[] = [];
  if (kind !== 'analytics')
    for (const { trash, row } of await trashedRecordings(db, accountId))
      items.push({
        kind: 'recording',
        id: row.record_id,
        room_id: row.room_id,
        file_size: row.file_size,
        trashed_at: trash.trashed_at,
        purge_at: trash.purge_at,
      });
  if (kind !== 'recording')
    for (const { trash, row } of await trashedAnalytics(db, accountId))
      items.push({
        kind: 'analytics',
        id: row.file_id,
        room_id: row.room_id,
        file_size: row.file_size,
        trashed_at: trash.trashed_at,
        purge_at: trash.purge_at,
      });
  return items.sort((a, b) => b.trashed_at - a.trashed_at);
}

export async function restoreFromTrash(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  kind: TrashKind,
  id: string,
): Promise<void> {
  if (kind === 'recording') await restoreRecording(db, storage, accountId, id);
  else await restoreAnalytics(db, storage, accountId, id);
}

/** Purges everything whose time is up; returns how many objects went. */
export async function purgeTrash(db: Kysely<Database>, storage: FileStorage, now = Date.now()): Promise<number> {
  return (await purgeExpired(db, storage, 'recording', now)) + (await purgeExpired(db, storage, 'analytics', now));
}
