import { posix } from 'node:path';
import type { Kysely } from 'kysely';
import { atomically } from '../db/dialect.js';
import type { Database, RecordingRow } from '../db/schema.js';
import { invalidParams, notFound } from '../http/errors.js';
import { FileExistsError, type FileStorage } from '../storage/files.js';
import {
  findInTrash,
  listTrash,
  moveFile,
  putInTrash,
  removeFromTrash,
  trashDirectory,
  type TrashRow,
} from '../storage/trash.js';
import * as repo from './repository.js';
import { recordingFile, subtitleDirectory } from './service.js';

/**
 * Deleting a recording, by either API or by retention: with RECAP_TRASH_DAYS > 0 the row leaves
 * the live table (and every counter) at once and waits in the trash with its files; a restore
 * puts back the same row; the janitor purges it when its time is up. With 0, it is gone at once.
 */

const trashedFile = (trash: TrashRow, row: RecordingRow) =>
  `${trashDirectory(trash)}/file/${posix.basename(row.file_path)}`;
const trashedSubtitles = (trash: TrashRow) => `${trashDirectory(trash)}/subtitles`;

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
  await moveFile(storage, recordingFile(row), trashedFile(trash, row)).catch(() => undefined);
  await moveFile(storage, subtitleDirectory(row), trashedSubtitles(trash)).catch(() => undefined);
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
  try {
    await moveFile(storage, trashedFile(trash, row), recordingFile(row));
  } catch (error) {
    if (error instanceof FileExistsError)
      throw invalidParams(`a file is already stored at "${row.file_path}": move it first`);
    throw error;
  }
  await moveFile(storage, trashedSubtitles(trash), subtitleDirectory(row)).catch(() => undefined);
  try {
    await atomically(db, async (trx) => {
      if (!(await removeFromTrash(trx, trash.id))) throw notFound(`no recording "${recordId}" in the trash`);
      await repo.insertRecording(trx, row);
    });
  } catch (error) {
    // The row could not come back: its files go back to the trash.
    await moveFile(storage, recordingFile(row), trashedFile(trash, row)).catch(() => undefined);
    await moveFile(storage, subtitleDirectory(row), trashedSubtitles(trash)).catch(() => undefined);
    throw error;
  }
  return row;
}

export async function trashedRecordings(db: Kysely<Database>, accountId: number) {
  return (await listTrash(db, accountId, 'recording')).map((t) => ({
    trash: t,
    row: JSON.parse(t.row) as RecordingRow,
  }));
}
