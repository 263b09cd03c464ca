import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely } from 'kysely';
import { nameStatement } from './named-statements.js';

/**
 * Reads remembered until what they depend on changes: the answers of hot read endpoints and the
 * credential lookups in front of them.
 *
 * Every cached value names its scopes (db/cache-scopes.ts: a channel's report data, an account's
 * recordings, the API keys…). Triggers bump a scope's version in the transaction of every write to
 * its tables (migration 0021), and a value is kept under the versions its scopes had when the read
 * began. So a write leaves every answer of other scopes cached, and a request that starts after a
 * write was acknowledged, by this process or any other instance, reads the new version and never
 * the old answer. Versions are read with one indexed query per cached read. On SQLite that query
 * is skipped while the database's change counter stands still (`PRAGMA data_version` moves when
 * another connection commits, `total_changes()` when this one writes): an idle installation pays
 * ~4 µs per read, a busy one an index lookup.
 */

export interface ReadCacheOptions {
  /** SQLite: reads the database's change counter; a different value means something was written. */
  changeCounter?: () => string;
  /** Upper bound of the cached values' estimated size, in bytes. */
  maxBytes: number;
}

interface Entry {
  value: unknown;
  bytes: number;
}

type VersionsDb = Kysely<{ cache_versions: { scope: string; version: number } }>;

class ReadCache {
  /** In least-recently-used order: a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  /** Computations running, by key: requests that miss together wait for one (a write makes 50 miss at once). */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** SQLite: scope versions read at `counter`, by scope list. */
  private counter: string | undefined;
  private readonly versions = new Map<string, string>();

  constructor(private readonly options: ReadCacheOptions) {}

  get readsVersionsPerRequest(): boolean {
    return this.options.changeCounter === undefined;
  }

  /** The scopes' versions now, as one string (a scope never written is at 0). */
  private async versionsOf(db: VersionsDb, scopes: readonly string[]): Promise<string> {
    const list = scopes.join(',');
    const counter = this.options.changeCounter?.();
    if (counter !== undefined) {
      if (counter !== this.counter) {
        this.versions.clear();
        this.counter = counter;
      }
      const known = this.versions.get(list);
      if (known !== undefined) return known;
    }
    const request = counter === undefined ? requestVersions.getStore() : undefined;
    if (request) {
      // Reads of one request wait for its version read in flight: it may bring their scopes too.
      while (request.reading) await request.reading;
      const missing = scopes.filter((scope) => !request.known.has(scope));
      if (missing.length > 0) {
        // The request's other likely scopes come along: one round trip per request, not per read.
        const wanted = [...new Set([...missing, ...request.likely])].filter((scope) => !request.known.has(scope));
        request.reading = readVersions(db, wanted)
          .then((read) => {
            for (const scope of wanted) request.known.set(scope, read.get(scope) ?? '0');
          })
          .finally(() => (request.reading = undefined));
        await request.reading;
      }
      return scopes.map((scope) => request.known.get(scope)!).join('.');
    }
    // Read after the counter: versions kept under it are at least as new as it.
    const byScope = await readVersions(db, scopes);
    const versions = scopes.map((scope) => byScope.get(scope) ?? '0').join('.');
    if (counter !== undefined && this.versions.size < 10_000) this.versions.set(list, versions);
    return versions;
  }

  async read<T>(
    db: VersionsDb,
    scopes: readonly string[],
    key: string,
    compute: () => Promise<T>,
    weigh: (value: T) => number,
  ): Promise<T> {
    // Versions first: what is computed after is at least as new as the versions it is kept under.
    const fullKey = `${await this.versionsOf(db, scopes)}|${scopes.join(',')}|${key}`;
    const hit = this.entries.get(fullKey);
    if (hit) {
      this.entries.delete(fullKey);
      this.entries.set(fullKey, hit);
      return hit.value as T;
    }
    // Joining is safe: the running computation started after these same versions were read.
    const running = this.inFlight.get(fullKey) as Promise<T> | undefined;
    if (running) return running;
    // Kept before it stops being in flight, so a request arriving in between finds one or the other.
    const computing = compute()
      .then((value) => {
        this.keep(fullKey, value, weigh(value));
        return value;
      })
      .finally(() => this.inFlight.delete(fullKey));
    this.inFlight.set(fullKey, computing);
    return computing;
  }

  private keep(fullKey: string, value: unknown, weight: number): void {
    const bytes = weight + fullKey.length * 2;
    if (bytes > this.options.maxBytes / 8) return; // one answer may not push out most others
    this.entries.set(fullKey, { value, bytes });
    this.bytes += bytes;
    // Entries of older versions are never hit again; they age out first.
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.options.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.bytes;
    }
  }
}

/**
 * The versions one read-only request has seen (PostgreSQL, where each version read is a round
 * trip): read once, at the first cached read, with the scopes the route expects to need
 * (`likely`), and reused for the rest of the request. Versions read after the request began are
 * as new as any write acknowledged before it; a request that writes must not use this (its own
 * write would not move them).
 */
export interface RequestVersions {
  likely: readonly string[];
  known: Map<string, string>;
  /** The version read in flight, if any. */
  reading?: Promise<void> | undefined;
}

const requestVersions = new AsyncLocalStorage<RequestVersions>();

/**
 * The scopes' versions by scope (scopes never written are absent). A named statement on PostgreSQL:
 * its text changes only with the number of scopes, and a request's routes ask few numbers.
 */
async function readVersions(db: VersionsDb, scopes: readonly string[]): Promise<Map<string, string>> {
  const query = db
    .selectFrom('cache_versions')
    .select(['scope', 'version'])
    .where('scope', 'in', [...scopes])
    .compile();
  nameStatement(query.sql);
  const { rows } = await db.executeQuery(query);
  return new Map(rows.map((r) => [r.scope, String(r.version)]));
}

/** Runs a read-only request's handling with one set of cache versions (see RequestVersions). */
export function withRequestVersions(likely: readonly string[], run: () => void): void {
  requestVersions.run({ likely, known: new Map() }, run);
}

const caches = new WeakMap<object, ReadCache>();

/**
 * Whether requests on this database read their cache versions once (withRequestVersions): only
 * with a cache and no change counter (PostgreSQL). Elsewhere the store would only cost: once an
 * AsyncLocalStorage runs, every promise of the process carries its context.
 */
export function usesRequestVersions<DB>(db: Kysely<DB>): boolean {
  return caches.get(db)?.readsVersionsPerRequest ?? false;
}

/** Turns the cache on for a database instance (a no-op for maxBytes 0). */
export function enableReadCache<DB>(db: Kysely<DB>, options: ReadCacheOptions): void {
  if (options.maxBytes > 0) caches.set(db, new ReadCache(options));
}

/**
 * `compute()`'s value, from the cache while none of `scopes` was written since it was computed.
 * `scopes` must cover every table the value reads (db/cache-scopes.ts); the key must name
 * everything else it depends on (route, account, parameters); values must not depend on the
 * clock. `weigh` estimates a value's size in bytes.
 */
export function cachedRead<DB, T>(
  db: Kysely<DB>,
  scopes: readonly string[],
  key: string,
  compute: () => Promise<T>,
  weigh: (value: T) => number,
): Promise<T> {
  const cache = caches.get(db);
  return cache ? cache.read(db as unknown as VersionsDb, scopes, key, compute, weigh) : compute();
}

/**
 * One scope's version, for values remembered outside the read cache under the same rule: read the
 * version first, then the rows, and keep them under it ('0' for a scope never written). Inside a
 * request that read its versions once (RequestVersions) the version it read is used: it was read
 * after the request began, and another round trip would only repeat it.
 */
export async function scopeVersion<DB>(db: Kysely<DB>, scope: string): Promise<string> {
  const request = requestVersions.getStore();
  if (request) {
    while (request.reading) await request.reading;
    const known = request.known.get(scope);
    if (known !== undefined) return known;
  }
  return (await readVersions(db as unknown as VersionsDb, [scope])).get(scope) ?? '0';
}
