import { posix } from 'node:path';
import type { Kysely } from 'kysely';
import { atomically } from '../db/dialect.js';
import type { Database, RecordingRow } from '../db/schema.js';
import { invalidParams, notFound } from '../http/errors.js';
import type { FileStorage } from '../storage/files.js';
import {
  findInTrash,
  listTrash,
  moveToTrash,
  putInTrash,
  restoreTrashed,
  trashDirectory,
  type OwnedFile,
  type TrashRow,
} from '../storage/trash.js';
import * as repo from './repository.js';
import { recordingFile, subtitleDirectory } from './service.js';

/**
 * Deleting a recording, by either API or by retention: with RECAP_TRASH_DAYS > 0 the row leaves
 * the live table (and every counter) at once and waits in the trash with its files; a restore
 * puts back the same row; the janitor purges it when its time is up. With 0, it is gone at once.
 */

/** The files a recording owns, and where each waits while it is trashed. */
const ownedFiles = (trash: TrashRow, row: RecordingRow): OwnedFile[] => [
  {
    live: recordingFile(row),
    trashed: `${trashDirectory(trash)}/file/${posix.basename(row.file_path)}`,
    name: row.file_path,
  },
  { live: subtitleDirectory(row), trashed: `${trashDirectory(trash)}/subtitles` },
];

export async function deleteRecording(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  recordId: string,
  trashDays = 0,
  now = Date.now(),
): Promise<void> {
  const done = await atomically(db, async (trx) => {
    const row = await repo.deleteRecording(trx, accountId, recordId);
    if (!row || trashDays <= 0) return { row };
    return {
      row,
      trash: await putInTrash(trx, { accountId, kind: 'recording', objectId: recordId, row, now, days: trashDays }),
    };
  });
  const { row, trash } = done;
  if (!row) throw notFound('recording not found');
  if (!trash) {
    await storage.remove(recordingFile(row)).catch(() => undefined);
    await storage.removeTree(subtitleDirectory(row)).catch(() => undefined);
    return;
  }
  // Committed first: from now on the recording is gone for every client. Its files follow.
  await moveToTrash(storage, ownedFiles(trash, row));
}

/** Puts a trashed recording back: its files to where they were (never over another), then its row. */
export async function restoreRecording(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  recordId: string,
): Promise<RecordingRow> {
  const trash = await findInTrash(db, accountId, 'recording', recordId);
  if (!trash) throw notFound(`no recording "${recordId}" in the trash`);
  const row = JSON.parse(trash.row) as RecordingRow;
  const owner = await repo.findRecordingByPath(db, accountId, row.file_path);
  if (owner) throw invalidParams(`file_path "${row.file_path}" is registered again, as record_id "${owner.record_id}"`);
  await restoreTrashed(db, storage, trash, ownedFiles(trash, row), (trx) => repo.insertRecording(trx, row));
  return row;
}

export async function trashedRecordings(db: Kysely<Database>, accountId: number) {
  return (await listTrash(db, accountId, 'recording')).map((t) => ({
    trash: t,
    row: JSON.parse(t.row) as RecordingRow,
  }));
}
