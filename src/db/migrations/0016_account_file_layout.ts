import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, opendir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

/**
 * Every stored file belongs to one account, and its path says so:
 * `files/recordings/<account_id>/<file_path>` and `files/analytics/<account_id>/<file_path>`
 * (report images were already under `report-images/<account_id>/`). Rows keep their `file_path`,
 * which stays relative to the account's directory. Then: one row per stored path, and analytics
 * files in plugNmeet's units (room times in seconds). An analytics file that two accounts' sessions
 * wrote over each other is written anew for each from its own events.
 *
 * Safe to interrupt and rerun: each area is first renamed to `<area>.v1-layout` (one atomic step,
 * after which a marker file says the area has the new layout); files move out of it one by one,
 * each step skipped when already done; what is left belongs to account 1 and moves as one rename.
 * Frozen: this file must not import application code, which changes after it is written.
 */

const LEGACY_SUFFIX = '.v1-layout';
const MARKER = '.layout-v2';
const PAGE = 1000;
/** Unix ms of any date after 1973 is above this; unix seconds stay below it until the year 5138. */
const MS_THRESHOLD = 100_000_000_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- frozen migration: no app table types
type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a select of any table
type AnySelect = any;

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const isSafe = (path: string) =>
  !!path &&
  !path.includes('\0') &&
  !path.includes('\\') &&
  !path.startsWith('/') &&
  path.split('/').every((s) => s !== '' && s !== '..');

export async function up(db: AnyDb, _engine: unknown, context: MigrationContext): Promise<void> {
  const root = resolve(context.storageRoot);
  await reopenCollidedSessions(db);
  await moveArea(db, root, 'recordings', 'recordings');
  await moveArea(db, root, 'analytics', 'analytics_files');
  await separateSharedRecordingPaths(db, root);
  await rewriteAnalyticsUnits(db, root);
  await db.schema
    .createIndex('recordings_file_path_key')
    .on('recordings')
    .unique()
    .columns(['account_id', 'file_path'])
    .execute();
  await db.schema
    .createIndex('analytics_files_file_path_key')
    .on('analytics_files')
    .unique()
    .columns(['account_id', 'file_path'])
    .execute();
}

async function* rowsOf(
  db: AnyDb,
  table: string,
  where: (q: AnySelect) => AnySelect,
): AsyncGenerator<{ id: number; account_id: number; file_path: string }> {
  for (let after = 0; ;) {
    const page = await where(db.selectFrom(table).select(['id', 'account_id', 'file_path']).where('id', '>', after))
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const row of page) yield { id: Number(row.id), account_id: Number(row.account_id), file_path: row.file_path };
    if (page.length < PAGE) return;
    after = Number(page.at(-1).id);
  }
}

/** Moves `<root>/<area>/<path>` to `<root>/<area>/<account_id>/<path>` for every row of `table`. */
async function moveArea(db: AnyDb, root: string, area: string, table: string): Promise<void> {
  const current = join(root, area);
  const legacy = join(root, `${area}${LEGACY_SUFFIX}`);
  if (!(await exists(join(current, MARKER)))) {
    if (!(await exists(legacy)) && (await exists(current))) await rename(current, legacy);
    await mkdir(current, { recursive: true });
    await writeFile(join(current, MARKER), 'files are stored as <account_id>/<file_path>\n');
  }
  if (!(await exists(legacy))) return;
  await removeUploadDebris(legacy);

  // A path that rows of several accounts name (the bug this layout fixes) is copied to each of them.
  const shared = await db
    .selectFrom(table)
    .select('file_path')
    .select(sql<number>`min(account_id)`.as('first'))
    .groupBy('file_path')
    .having(sql`count(distinct account_id)`, '>', 1)
    .execute();
  const sharedPaths = new Set(shared.map((r) => r.file_path as string));
  for await (const row of rowsOf(db, table, (q) => q.where('account_id', '<>', 1))) {
    if (!isSafe(row.file_path)) continue;
    const source = join(legacy, row.file_path);
    const target = join(current, String(row.account_id), row.file_path);
    if ((await exists(target)) || !(await exists(source))) continue;
    await mkdir(dirname(target), { recursive: true });
    if (sharedPaths.has(row.file_path)) await copyFile(source, target, constants.COPYFILE_EXCL);
    else await rename(source, target);
  }
  // Shared files that account 1 does not name were copied to their owners; the original is no one's.
  for (const { file_path, first } of shared)
    if (Number(first) !== 1 && isSafe(file_path)) await rm(join(legacy, file_path), { force: true });
  // Everything left (account 1's files, and files not registered yet) is account 1's: one rename.
  await rename(legacy, join(current, '1'));
}

/**
 * Two accounts' sessions with the same room_id and room_sid wrote one analytics file, the later
 * over the earlier. Their events are kept per account, so each such session is ended again and its
 * row dropped: at start the session sweeper writes each account's own file anew.
 */
async function reopenCollidedSessions(db: AnyDb): Promise<void> {
  const collided = await db
    .selectFrom('analytics_files')
    .select('file_path')
    .groupBy('file_path')
    .having(sql`count(distinct account_id)`, '>', 1)
    .execute();
  for (const { file_path } of collided) {
    const rows = await db.selectFrom('analytics_files').selectAll().where('file_path', '=', file_path).execute();
    for (const row of rows) {
      const reopened = await db
        .updateTable('room_sessions')
        .set({ state: 'ended' })
        .where('account_id', '=', row.account_id)
        .where('room_sid', '=', row.room_sid)
        .where('state', '=', 'closed')
        .executeTakeFirst();
      if (Number(reopened.numUpdatedRows) === 0) continue; // no events to write it from: the file is copied instead
      await db.deleteFrom('analytics_files').where('id', '=', row.id).execute();
      await db
        .updateTable('analytics_room_totals')
        .set({ total: sql`total - 1`, total_size: sql`total_size - ${row.file_size}` })
        .where('account_id', '=', row.account_id)
        .where('room_id', '=', row.room_id)
        .execute();
    }
  }
}

/** Partial uploads of a crashed older version, stored next to their targets as `.upload-*.part`. */
async function removeUploadDebris(directory: string): Promise<void> {
  const debris: string[] = [];
  for await (const entry of await opendir(directory, { recursive: true })) {
    if (entry.isFile() && entry.name.startsWith('.upload-') && entry.name.endsWith('.part'))
      debris.push(join(entry.parentPath ?? entry.path, entry.name));
  }
  for (const file of debris) await rm(file, { force: true });
}

/** Two recordings of one account named one file: every row after the first gets its own (a hard link). */
async function separateSharedRecordingPaths(db: AnyDb, root: string): Promise<void> {
  const groups = await db
    .selectFrom('recordings')
    .select(['account_id', 'file_path'])
    .select(sql<number>`min(id)`.as('first'))
    .groupBy(['account_id', 'file_path'])
    .having(sql`count(*)`, '>', 1)
    .execute();
  for (const group of groups) {
    const rows = await db
      .selectFrom('recordings')
      .select(['id', 'file_path'])
      .where('account_id', '=', group.account_id)
      .where('file_path', '=', group.file_path)
      .where('id', '>', group.first)
      .orderBy('id')
      .execute();
    const directory = join(root, 'recordings', String(group.account_id));
    for (const row of rows) {
      const extension = extname(row.file_path);
      const path = `${row.file_path.slice(0, row.file_path.length - extension.length)}.copy-${row.id}${extension}`;
      const source = join(directory, row.file_path);
      const target = join(directory, path);
      if ((await exists(source)) && !(await exists(target)))
        await link(source, target).catch(() => copyFile(source, target, constants.COPYFILE_EXCL));
      await db.updateTable('recordings').set({ file_path: path }).where('id', '=', row.id).execute();
    }
  }
}

/** Room times in seconds, as plugNmeet writes them; file_size and the per-room sizes follow. */
async function rewriteAnalyticsUnits(db: AnyDb, root: string): Promise<void> {
  const partials = join(root, '.partial');
  for await (const row of rowsOf(db, 'analytics_files', (q) => q)) {
    if (!isSafe(row.file_path)) continue;
    const full = join(root, 'analytics', String(row.account_id), row.file_path);
    let text: string;
    try {
      text = await readFile(full, 'utf8');
    } catch {
      continue; // no file: nothing to rewrite
    }
    let file: { room?: { room_creation?: unknown; room_ended?: unknown; room_duration?: unknown } };
    try {
      file = JSON.parse(text);
    } catch {
      continue;
    }
    const room = file.room;
    if (
      room &&
      typeof room.room_creation === 'number' &&
      typeof room.room_ended === 'number' &&
      room.room_creation > MS_THRESHOLD
    ) {
      const [creation, ended] = [Math.floor(room.room_creation / 1000), Math.floor(room.room_ended / 1000)];
      Object.assign(room, { room_creation: creation, room_ended: ended, room_duration: ended - creation });
      await mkdir(partials, { recursive: true });
      const temporary = join(partials, `${randomBytes(12).toString('hex')}.part`);
      await writeFile(temporary, JSON.stringify(file));
      await rename(temporary, full);
    }
    const { size } = await stat(full);
    await db
      .updateTable('analytics_files')
      .set({ file_size: size })
      .where('id', '=', row.id)
      .where('file_size', '<>', size)
      .execute();
  }
  await db
    .updateTable('analytics_room_totals')
    .set({
      total_size: sql`(select coalesce(sum(f.file_size), 0) from analytics_files f where f.account_id = analytics_room_totals.account_id and f.room_id = analytics_room_totals.room_id)`,
    })
    .execute();
}
