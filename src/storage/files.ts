import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Where stored files live. Paths are always relative to the storage root and use `/`. The local
 * directory is the only implementation today; an object store would be another implementation of
 * this interface (downloads would then redirect or proxy instead of using `localPath`).
 */
export interface FileStorage {
  /** The absolute local path of a stored file, or undefined when the path leaves the root. */
  localPath(path: string): string | undefined;
  /** Size in bytes, or undefined when there is no such file. */
  size(path: string): Promise<number | undefined>;
  /**
   * Streams `source` into `path`, atomically: the file appears complete or not at all. Fails with
   * TooLargeError past `maxBytes` and with the source's error when it breaks off; nothing is left.
   */
  write(path: string, source: Readable, maxBytes: number): Promise<number>;
  /** Writes a whole buffer atomically. */
  writeBuffer(path: string, data: Buffer): Promise<void>;
  remove(path: string): Promise<void>;
  read(path: string): Readable;
}

export class TooLargeError extends Error {
  override name = 'TooLargeError';
}

export class PathOutsideRootError extends Error {
  override name = 'PathOutsideRootError';
}

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

  async write(path: string, source: Readable, maxBytes: number): Promise<number> {
    const full = this.required(path);
    await mkdir(dirname(full), { recursive: true });
    // Same directory as the target, so the final rename is atomic.
    const temporary = join(dirname(full), `.upload-${randomBytes(8).toString('hex')}.part`);
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
      await rename(temporary, full);
      return written;
    } catch (error) {
      await rm(temporary, { force: true });
      await this.pruneEmptyParents(dirname(full));
      throw error;
    }
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

  async writeBuffer(path: string, data: Buffer): Promise<void> {
    await this.write(path, Readable.from([data]), data.length);
  }

  /** Removes a file and the directories it leaves empty (a deleted room leaves no trace). */
  async remove(path: string): Promise<void> {
    const full = this.required(path);
    await rm(full, { force: true });
    await this.pruneEmptyParents(dirname(full));
  }

  read(path: string): Readable {
    return createReadStream(this.required(path));
  }
}
