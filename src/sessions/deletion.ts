import { posix } from 'node:path';
import type { Kysely } from 'kysely';
import { atomically } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { notFound } from '../http/errors.js';
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
import { analyticsFile } from './service.js';

/**
 * Deleting an analytics file (plugNmeet's analytics and artifact APIs, the console, retention):
 * as recordings/deletion.ts, through the trash when RECAP_TRASH_DAYS > 0.
 */

/** The file an analytics row owns, and where it waits while it is trashed. */
const ownedFiles = (trash: TrashRow, row: repo.AnalyticsFileRow): OwnedFile[] => [
  {
    live: analyticsFile(row),
    trashed: `${trashDirectory(trash)}/${posix.basename(row.file_path)}`,
    name: row.file_path,
  },
];

export async function deleteAnalytics(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  fileId: string,
  options: { trashDays?: number; missing?: string; now?: number } = {},
): Promise<void> {
  const now = options.now ?? Date.now();
  const days = options.trashDays ?? 0;
  const { row, trash } = await atomically(db, async (trx) => {
    const row = await repo.deleteAnalyticsFile(trx, accountId, fileId);
    if (!row || days <= 0) return { row, trash: undefined };
    return { row, trash: await putInTrash(trx, { accountId, kind: 'analytics', objectId: fileId, row, now, days }) };
  });
  if (!row) throw notFound(options.missing ?? 'analytics not found');
  if (!trash) await storage.remove(analyticsFile(row)).catch(() => undefined);
  else await moveToTrash(storage, ownedFiles(trash, row));
}

export async function restoreAnalytics(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  fileId: string,
): Promise<repo.AnalyticsFileRow> {
  const trash = await findInTrash(db, accountId, 'analytics', fileId);
  if (!trash) throw notFound(`no analytics file "${fileId}" in the trash`);
  const row = JSON.parse(trash.row) as repo.AnalyticsFileRow;
  await restoreTrashed(db, storage, trash, ownedFiles(trash, row), (trx) => repo.insertAnalyticsFile(trx, row));
  return row;
}

export async function trashedAnalytics(db: Kysely<Database>, accountId: number) {
  return (await listTrash(db, accountId, 'analytics')).map((t) => ({
    trash: t,
    row: JSON.parse(t.row) as repo.AnalyticsFileRow,
  }));
}
