import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, readdir, realpath, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where stored files live. Paths are always relative to the storage root and use `/`. Every stored
 * file belongs to one account, and its path says so: `<area>/<account_id>/…` (see accountPath). The
 * local directory is the only implementation today; an object store would be another
 * implementation of this interface (downloads would then redirect or proxy instead of `localPath`).
 */
export interface FileStorage {
  /** The absolute local path of a stored file, or undefined when the path leaves the root. */
  localPath(path: string): string | undefined;
  /** Size in bytes, or undefined when there is no such file. */
  size(path: string): Promise<number | undefined>;
  /** Whether a relative path names a regular file inside `directory`, with no link leading out of it. */
  isPlainFileInside(directory: string, path: string): Promise<boolean>;
  /**
   * Streams `source` into `path`, atomically: the file appears complete or not at all. Fails with
   * TooLargeError past `maxBytes` and with the source's error when it breaks off; nothing is left.
   * Unless `replace` is set, an existing file is never overwritten (FileExistsError).
   */
  write(path: string, source: Readable, maxBytes: number, options?: WriteOptions): Promise<number>;
  /** Writes a whole buffer atomically (same options as write). */
  writeBuffer(path: string, data: Buffer, options?: WriteOptions): Promise<void>;
  /** Removes partial files that no write has touched for `olderThanMs` (a crashed process's). */
  sweepPartials(olderThanMs: number, nowMs?: number): Promise<number>;
  remove(path: string): Promise<void>;
  /** Moves a file or directory to a new path, never over anything there (FileExistsError). */
  move(from: string, to: string): Promise<void>;
  /** Removes a directory and everything in it (files an object owns, such as a recording's subtitles). */
  removeTree(path: string): Promise<void>;
  read(path: string): Readable;
}

export class TooLargeError extends Error {
  override name = 'TooLargeError';
}

export class PathOutsideRootError extends Error {
  override name = 'PathOutsideRootError';
}

export class FileExistsError extends Error {
  override name = 'FileExistsError';
}

export interface WriteOptions {
  /** Replace a file already at the path (default: refuse with FileExistsError). */
  replace?: boolean;
}

/** The storage areas, one directory each under the root, then one directory per account. */
export type StorageArea = 'recordings' | 'subtitles' | 'analytics' | 'report-images';

/** `<area>/<account_id>/<relative>`: where an account's file lives. */
export const accountPath = (area: StorageArea, accountId: number, relative: string): string =>
  `${area}/${accountId}/${relative}`;

/** Partial writes live here until their rename: one directory to sweep after a crash. */
export const PARTIAL_DIR = '.partial';
/**
 * While a backup runs (`recap backup` writes this marker), files are not deleted but moved to
 * DEFERRED_DIR, so every file a row of the backup's database snapshot owns can still be copied;
 * the backup empties it when done. A marker older than BACKUP_MARKER_TTL_MS is a crashed backup's.
 */
export const BACKUP_MARKER = '.backup-in-progress';
export const DEFERRED_DIR = '.deferred';
export const BACKUP_MARKER_TTL_MS = 6 * 3_600_000;

/** Whether a relative path stays inside the root: no absolute paths, no `..` segments, no NUL. */
export function isSafeRelativePath(path: string): boolean {
  if (!path || path.includes('\0') || path.includes('\\') || isAbsolute(path)) return false;
  return path.split('/').every((segment) => segment !== '..' && segment !== '');
}

export class LocalFileStorage implements FileStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  localPath(path: string): string | undefined {
    if (!isSafeRelativePath(path)) return undefined;
    const full = resolve(this.root, path);
    const back = relative(this.root, full);
    return back && !back.startsWith(`..${sep}`) && back !== '..' && !isAbsolute(back) ? full : undefined;
  }

  private required(path: string): string {
    const full = this.localPath(path);
    if (!full) throw new PathOutsideRootError(`path "${path}" is outside the storage root`);
    return full;
  }

  async size(path: string): Promise<number | undefined> {
    const full = this.localPath(path);
    if (!full) return undefined;
    try {
      const info = await stat(full);
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  async isPlainFileInside(directory: string, path: string): Promise<boolean> {
    const base = this.localPath(directory);
    const full = this.localPath(`${directory}/${path}`);
    if (!base || !full || !isSafeRelativePath(path)) return false;
    try {
      if (!(await lstat(full)).isFile()) return false;
      const [realBase, realFull] = await Promise.all([realpath(base), realpath(full)]);
      return realFull.startsWith(`${realBase}${sep}`);
    } catch {
      return false;
    }
  }

  async write(path: string, source: Readable, maxBytes: number, options: WriteOptions = {}): Promise<number> {
    const full = this.required(path);
    const partials = join(this.root, PARTIAL_DIR);
    await Promise.all([mkdir(dirname(full), { recursive: true }), mkdir(partials, { recursive: true })]);
    // Same file system as the target, so the final rename (or link) is atomic.
    const temporary = join(partials, `${randomBytes(12).toString('hex')}.part`);
    let written = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (written > maxBytes) callback(new TooLargeError(`upload exceeds ${maxBytes} bytes`));
        else callback(null, chunk);
      },
    });
    try {
      await pipeline(source, limit, createWriteStream(temporary, { flags: 'wx' }));
      if (options.replace) await rename(temporary, full);
      else await linkNew(temporary, full, path);
      return written;
    } catch (error) {
      await rm(temporary, { force: true });
      await this.pruneEmptyParents(dirname(full));
      throw error;
    }
  }

  async sweepPartials(olderThanMs: number, nowMs = Date.now()): Promise<number> {
    // A backup that died left its marker and the files it kept from deletion: finish the deletes.
    const marker = await stat(join(this.root, BACKUP_MARKER)).catch(() => undefined);
    if (marker && nowMs - marker.mtimeMs > BACKUP_MARKER_TTL_MS)
      await rm(join(this.root, BACKUP_MARKER), { force: true });
    if (!marker || nowMs - marker.mtimeMs > BACKUP_MARKER_TTL_MS)
      await rm(join(this.root, DEFERRED_DIR), { recursive: true, force: true });
    const partials = join(this.root, PARTIAL_DIR);
    let names: string[];
    try {
      names = await readdir(partials);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      const file = join(partials, name);
      const info = await stat(file).catch(() => undefined);
      if (info && nowMs - info.mtimeMs > olderThanMs) {
        await rm(file, { force: true, recursive: true });
        removed++;
      }
    }
    return removed;
  }

  /** Removes directories left empty, up to (not including) the root. */
  private async pruneEmptyParents(directory: string): Promise<void> {
    for (let current = directory; current.startsWith(`${this.root}${sep}`); current = dirname(current)) {
      try {
        await rmdir(current);
      } catch {
        return; // not empty (or already gone): stop here
      }
    }
  }

  async writeBuffer(path: string, data: Buffer, options?: WriteOptions): Promise<void> {
    await this.write(path, Readable.from([data]), data.length, options);
  }

  /** Removes a file and the directories it leaves empty (a deleted room leaves no trace). */
  async remove(path: string): Promise<void> {
    const full = this.required(path);
    if (!(await this.deferWhileBackingUp(path, full))) await rm(full, { force: true });
    await this.pruneEmptyParents(dirname(full));
  }

  private async backupRunning(): Promise<boolean> {
    const marker = await stat(join(this.root, BACKUP_MARKER)).catch(() => undefined);
    return marker !== undefined && Date.now() - marker.mtimeMs <= BACKUP_MARKER_TTL_MS;
  }

  /** During a backup, moves the file or directory to DEFERRED_DIR instead; true when it did. */
  private async deferWhileBackingUp(path: string, full: string): Promise<boolean> {
    if (!(await this.backupRunning())) return false;
    const deferred = join(this.root, DEFERRED_DIR, path);
    await mkdir(dirname(deferred), { recursive: true });
    try {
      await rename(full, deferred);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return true;
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.required(from);
    const target = this.required(to);
    const info = await stat(source); // ENOENT when there is nothing to move
    // The backup's snapshot may still name the old path (a recording trashed after it was taken).
    if (await this.backupRunning()) await linkTree(source, join(this.root, DEFERRED_DIR, from));
    await mkdir(dirname(target), { recursive: true });
    if (info.isDirectory()) {
      if (await stat(target).catch(() => undefined))
        throw new FileExistsError(`something is already stored at "${to}"`);
      await rename(source, target);
    } else await linkNew(source, target, to);
    await this.pruneEmptyParents(dirname(source));
  }

  async removeTree(path: string): Promise<void> {
    const full = this.required(path);
    if (!(await this.deferWhileBackingUp(path, full))) await rm(full, { force: true, recursive: true });
    await this.pruneEmptyParents(dirname(full));
  }

  read(path: string): Readable {
    return createReadStream(this.required(path));
  }
}

/** Gives `temporary` the name `full` unless a file has it already; `temporary` is gone either way. */
async function linkNew(temporary: string, full: string, path: string): Promise<void> {
  try {
    await link(temporary, full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new FileExistsError(`a file is already stored at "${path}"`);
    throw error;
  }
  await unlink(temporary);
}

/** Hard-links a file, or every file of a directory, at `to` (already there counts as done). */
async function linkTree(from: string, to: string): Promise<void> {
  const info = await stat(from).catch(() => undefined);
  if (info?.isDirectory()) {
    for (const name of await readdir(from)) await linkTree(join(from, name), join(to, name));
    return;
  }
  if (!info?.isFile()) return;
  await mkdir(dirname(to), { recursive: true });
  await link(from, to).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST' && error.code !== 'ENOENT') throw error;
  });
}
