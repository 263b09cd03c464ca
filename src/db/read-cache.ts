import type { Kysely } from 'kysely';

/**
 * Reads remembered until the database changes: the answers of hot read endpoints and the
 * credential lookups in front of them.
 *
 * On SQLite most of a list or count request is spent in the engine, and the same requests come
 * again and again (a dashboard's counts, a room's recording page). SQLite says cheaply (~4 µs)
 * whether anything was committed since: `PRAGMA data_version` moves when another connection
 * (another process on the same file) commits, `total_changes()` when this connection writes,
 * rolled back or not. The pair is read before every lookup and a new value empties the cache, so a
 * read never answers from data older than the last commit before it started: no TTL, no
 * invalidation lists to keep in step with the writes.
 *
 * The cost is coarseness: any write empties everything. Ingestion-heavy instances simply hit less.
 * PostgreSQL has no such counter, so there every read runs its queries (the cache is off).
 */

export interface ReadCacheOptions {
  /** Reads the database's change counter; a different value means something was written. */
  changeCounter: () => string;
  /** Upper bound of the cached values' estimated size, in bytes. */
  maxBytes: number;
}

interface Entry {
  value: unknown;
  bytes: number;
}

class ReadCache {
  private version: string | undefined;
  /** In least-recently-used order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly options: ReadCacheOptions) {}

  async read<T>(key: string, compute: () => Promise<T>, weigh: (value: T) => number): Promise<T> {
    // Read before computing: what is computed is then at least as new as the version it is kept under.
    const version = this.options.changeCounter();
    if (version !== this.version) {
      this.entries.clear();
      this.bytes = 0;
      this.version = version;
    }
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value as T;
    }
    const value = await compute();
    // A write while computing started a new version: keeping the value under it would be a guess.
    if (this.version !== version) return value;
    const bytes = weigh(value) + key.length * 2;
    if (bytes > this.options.maxBytes / 8) return value; // one answer may not push out most others
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.bytes;
    }
    return value;
  }
}

const caches = new WeakMap<object, ReadCache>();

/** Turns the cache on for a database instance (a no-op for maxBytes 0). */
export function enableReadCache<DB>(db: Kysely<DB>, options: ReadCacheOptions): void {
  if (options.maxBytes > 0) caches.set(db, new ReadCache(options));
}

/**
 * `compute()`'s value, from the cache when nothing was written since it was computed. The key must
 * name everything the value depends on besides the database (route, account, parameters); values
 * must not depend on the clock. `weigh` estimates a value's size in bytes.
 */
export function cachedRead<DB, T>(
  db: Kysely<DB>,
  key: string,
  compute: () => Promise<T>,
  weigh: (value: T) => number,
): Promise<T> {
  const cache = caches.get(db);
  return cache ? cache.read(key, compute, weigh) : compute();
}

/** Weight of a value that is one string (a serialized answer). */
export const stringBytes = (value: string): number => value.length * 2;
