import type { Kysely, Selectable } from 'kysely';
import { atomically } from '../db/dialect.js';
import { invalidParams, notFound } from '../http/errors.js';
import type { Database, TrashTable } from '../db/schema.js';
import { FileExistsError, type FileStorage } from './files.js';

/**
 * The trash, shared by the modules whose deletions it keeps (recordings, session analytics): rows
 * of the `trash` table and files under `trash/<kind>/<account_id>/<trash id>/`. Each module puts in
 * and takes out only its own kind.
 */

export type TrashKind = TrashTable['kind'];
export type TrashRow = Selectable<TrashTable>;

/** How messages name each kind. */
export const WHAT: Record<TrashKind, string> = { recording: 'recording', analytics: 'analytics file' };

/** Where a trashed object's files wait. */
export const trashDirectory = (row: Pick<TrashRow, 'kind' | 'account_id' | 'id'>) =>
  `trash/${row.kind}/${row.account_id}/${row.id}`;

export async function putInTrash(
  trx: Kysely<Database>,
  item: { accountId: number; kind: TrashKind; objectId: string; row: object; now: number; days: number },
): Promise<TrashRow> {
  return trx
    .insertInto('trash')
    .values({
      account_id: item.accountId,
      kind: item.kind,
      object_id: item.objectId,
      row: JSON.stringify(item.row),
      trashed_at: item.now,
      purge_at: item.now + item.days * 86_400_000,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findInTrash(
  db: Kysely<Database>,
  accountId: number,
  kind: TrashKind,
  objectId: string,
): Promise<TrashRow | undefined> {
  return db
    .selectFrom('trash')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('kind', '=', kind)
    .where('object_id', '=', objectId)
    .executeTakeFirst();
}

/** Deletes a trash row; false when another restore or purge took it first. */
export async function removeFromTrash(trx: Kysely<Database>, id: number): Promise<boolean> {
  const result = await trx.deleteFrom('trash').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listTrash(db: Kysely<Database>, accountId: number, kind?: TrashKind): Promise<TrashRow[]> {
  let query = db.selectFrom('trash').selectAll().where('account_id', '=', accountId);
  if (kind) query = query.where('kind', '=', kind);
  return query.orderBy('trashed_at', 'desc').orderBy('id', 'desc').limit(1000).execute();
}

export async function expiredTrash(db: Kysely<Database>, kind: TrashKind, now: number, limit: number) {
  return db
    .selectFrom('trash')
    .selectAll()
    .where('purge_at', '<=', now)
    .where('kind', '=', kind)
    .orderBy('purge_at')
    .limit(limit)
    .execute();
}

/** Moves a stored file, never over another one; false when `from` is not there. */
async function moveFile(storage: FileStorage, from: string, to: string): Promise<boolean> {
  try {
    await storage.move(from, to);
    return true;
  } catch (error) {
    if (error instanceof FileExistsError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Purges a kind's trashed objects whose time is up (rows, then files), a batch at a time; returns how many went. */
export async function purgeExpired(
  db: Kysely<Database>,
  storage: FileStorage,
  kind: TrashKind,
  now = Date.now(),
): Promise<number> {
  let purged = 0;
  for (;;) {
    const batch = await expiredTrash(db, kind, now, 100);
    for (const trash of batch) {
      // Whoever deletes the row (a restore, another instance's janitor) owns what happens next.
      if (!(await atomically(db, (trx) => removeFromTrash(trx, trash.id)))) continue;
      await storage.removeTree(trashDirectory(trash)).catch(() => undefined);
      purged++;
    }
    if (batch.length < 100) return purged;
  }
}

/**
 * A file (or directory) a trashed object owns: where it lives, and where it waits. `name` marks
 * the object's own file: a restore refuses to put it over another, naming it so; the others
 * (a recording's subtitles) follow as they can.
 */
export interface OwnedFile {
  live: string;
  trashed: string;
  name?: string;
}

/** After the delete's commit, the object's files move to the trash (what is already gone stays gone). */
export async function moveToTrash(storage: FileStorage, files: readonly OwnedFile[]): Promise<void> {
  for (const file of files) await moveFile(storage, file.live, file.trashed).catch(() => undefined);
}

/**
 * Puts a trashed object back: its files first (never over another), then, in one transaction,
 * its trash row out and `insert` of its live row; if that fails, the files go back to the trash.
 */
export async function restoreTrashed(
  db: Kysely<Database>,
  storage: FileStorage,
  trash: TrashRow,
  files: readonly OwnedFile[],
  insert: (trx: Kysely<Database>) => Promise<unknown>,
): Promise<void> {
  for (const file of files) {
    try {
      await moveFile(storage, file.trashed, file.live);
    } catch (error) {
      if (file.name === undefined) continue;
      if (error instanceof FileExistsError)
        throw invalidParams(`a file is already stored at "${file.name}": move it first`);
      throw error;
    }
  }
  try {
    await atomically(db, async (trx) => {
      if (!(await removeFromTrash(trx, trash.id)))
        throw notFound(`no ${WHAT[trash.kind]} "${trash.object_id}" in the trash`);
      await insert(trx);
    });
  } catch (error) {
    await moveToTrash(storage, files);
    throw error;
  }
}
