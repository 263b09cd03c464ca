import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../config/index.js';
import { connect, type DatabaseHandle } from '../db/connection.js';
import { backupDatabase, BackupRetry, DATABASE_FILE, restoreDatabase } from '../db/backup.js';
import { migrateToLatest } from '../db/migrate.js';
import { VERSION } from '../config/version.js';
import { recordingStoredFiles } from '../recordings/library.js';
import { imageStoredFiles } from '../reports/images.js';
import { analyticsStoredFiles } from '../sessions/service.js';
import { BACKUP_MARKER, DEFERRED_DIR, PARTIAL_DIR } from '../storage/files.js';

/**
 * `recap backup <dir>` and `recap restore <dir>`. A backup is taken while Recap serves and writes:
 * 1. every stored file is hard-linked (or copied, across file systems) into `<dir>/files`: files
 *    are never changed in place, so a link is a snapshot of the file;
 * 2. the database is copied consistently (db/backup.ts);
 * 3. every file a row of that copy owns is checked, and one written between 1 and 2 is linked now.
 * While it runs, a marker file makes every instance move deleted files aside (storage/files.ts)
 * rather than delete them, so a file the snapshot's rows own is always still somewhere.
 * `manifest.json` lists every file with its size and SHA-256; a restore checks them all first.
 */

export interface Manifest {
  recap: string;
  engine: 'sqlite' | 'postgres';
  created_at: string;
  database: ManifestFile;
  files: ManifestFile[];
}
interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

const TRIES = 3;

/** A backup or restore that cannot proceed, for a reason the operator can act on (one line). */
export class BackupError extends Error {
  override name = 'BackupError';
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function* walk(root: string, dir = root): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (dir === root && (entry.name === PARTIAL_DIR || entry.name === DEFERRED_DIR)) continue;
      yield* walk(root, full);
    } else if (entry.isFile() && !(dir === root && entry.name === BACKUP_MARKER)) yield relative(root, full);
  }
}

/**
 * Puts `from` at `to` as a hard link, or a copy where the two are on different file systems.
 * False when `from` is gone (deleted since it was listed).
 */
async function place(from: string, to: string): Promise<boolean> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await link(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return true;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV' && code !== 'EPERM') throw error;
  }
  try {
    await copyFile(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function isEmptyDirectory(dir: string): Promise<boolean> {
  return !existsSync(dir) || (await readdir(dir)).length === 0;
}

export async function runBackup(
  database: DatabaseHandle,
  config: Config,
  dir: string,
  progress: (stage: string) => void = () => undefined,
): Promise<Manifest> {
  if (!(await isEmptyDirectory(dir))) throw new BackupError(`${dir} is not empty: back up into a new directory`);
  // From here until the end, every instance moves deleted files aside instead of deleting them.
  const marker = join(config.storageRoot, BACKUP_MARKER);
  await mkdir(config.storageRoot, { recursive: true });
  await writeFile(marker, `${process.pid} ${new Date().toISOString()}\n`);
  try {
    return await backupOnce(database, config, dir, progress);
  } finally {
    await rm(marker, { force: true });
    await rm(join(config.storageRoot, DEFERRED_DIR), { recursive: true, force: true });
  }
}

async function backupOnce(
  database: DatabaseHandle,
  config: Config,
  dir: string,
  progress: (stage: string) => void,
): Promise<Manifest> {
  for (let attempt = 1; ; attempt++) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'files'), { recursive: true });
    progress('linking stored files');
    for await (const path of walk(config.storageRoot))
      await place(join(config.storageRoot, path), join(dir, 'files', path));
    progress('copying the database');
    let copied;
    try {
      copied = await backupDatabase(database, config.databaseUrl, dir, async (db) => {
        const missing: string[] = [];
        for (const files of [recordingStoredFiles(db), analyticsStoredFiles(db), imageStoredFiles(db)])
          for await (const path of files) {
            if (existsSync(join(dir, 'files', path))) continue;
            // Written after the links were made: take it now, from where it is or was moved aside.
            const to = join(dir, 'files', path);
            const placed =
              (await place(join(config.storageRoot, path), to)) ||
              (await place(join(config.storageRoot, DEFERRED_DIR, path), to));
            if (!placed) missing.push(path);
          }
        return missing;
      });
    } catch (error) {
      if (error instanceof BackupRetry && attempt < TRIES) continue;
      throw error;
    }
    const { file, result: missing } = copied;
    if (missing.length > 0) {
      if (attempt < TRIES) continue;
      throw new BackupError(`files were deleted while the backup ran (${missing.slice(0, 3).join(', ')}…): try again`);
    }
    progress('hashing');
    const files: ManifestFile[] = [];
    for await (const path of walk(join(dir, 'files'))) {
      const full = join(dir, 'files', path);
      files.push({ path, size: (await stat(full)).size, sha256: await sha256(full) });
    }
    files.sort((a, b) => a.path.localeCompare(b.path));
    const manifest: Manifest = {
      recap: VERSION,
      engine: database.engine,
      created_at: new Date().toISOString(),
      database: { path: DATABASE_FILE[database.engine], size: (await stat(file)).size, sha256: await sha256(file) },
      files,
    };
    await writeFile(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
    return manifest;
  }
}

/** Checks every hash of a backup, then restores it into an empty database and data directory. */
export async function runRestore(config: Config, dir: string, progress: (stage: string) => void = () => undefined) {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const engine = config.databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  if (engine !== manifest.engine)
    throw new BackupError(`the backup is of a ${manifest.engine} database; RECAP_DATABASE_URL names ${engine}`);
  progress('checking hashes');
  for (const entry of [
    { ...manifest.database, full: join(dir, manifest.database.path) },
    ...manifest.files.map((f) => ({ ...f, full: join(dir, 'files', f.path) })),
  ]) {
    const size = (await stat(entry.full).catch(() => undefined))?.size;
    if (size !== entry.size || (await sha256(entry.full)) !== entry.sha256)
      throw new BackupError(`${entry.path} does not match the manifest: the backup is damaged`);
  }
  if (!(await isEmptyDirectory(config.storageRoot)))
    throw new BackupError(`${config.storageRoot} is not empty: restore into an empty data directory`);
  if (engine === 'postgres') {
    const target = await connect(config.databaseUrl);
    try {
      const { rows } = await sql<{
        n: number;
      }>`select count(*) as n from information_schema.tables where table_schema = current_schema()`.execute(target.db);
      if (Number(rows[0]!.n) > 0)
        throw new BackupError('the target database has tables: restore into an empty database');
    } finally {
      await target.close();
    }
  }
  progress('restoring the database');
  await restoreDatabase(engine, config.databaseUrl, join(dir, manifest.database.path));
  progress('copying stored files');
  for (const file of manifest.files) {
    const to = join(config.storageRoot, file.path);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(join(dir, 'files', file.path), to);
  }
  const restored = await connect(config.databaseUrl);
  try {
    // A backup of an older version is brought up to date.
    await migrateToLatest(restored.db, { storageRoot: config.storageRoot });
  } finally {
    await restored.close();
  }
  return manifest;
}
