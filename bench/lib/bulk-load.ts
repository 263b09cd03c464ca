import { type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openSqlite } from '../../src/db/connection.js';

/** One table's rows, produced lazily so memory stays flat whatever the scale. */
export interface TableLoad {
  table: string;
  columns: string[];
  count: number;
  rows: () => Iterable<(string | number | null)[]>;
}

export interface LoadResult {
  table: string;
  rows: number;
  seconds: number;
}

export type Progress = (table: string, done: number, total: number) => void;

/**
 * Bulk-loads rows the fastest way each engine offers: one prepared INSERT in large transactions
 * on SQLite (fsync off while loading), COPY FROM STDIN on PostgreSQL.
 */
export async function bulkLoad(url: string, loads: TableLoad[], progress: Progress): Promise<LoadResult[]> {
  return url.startsWith('sqlite:')
    ? loadSqlite(url.slice('sqlite:'.length), loads, progress)
    : loadPostgres(url, loads, progress);
}

const BATCH = 50_000;

function loadSqlite(path: string, loads: TableLoad[], progress: Progress): LoadResult[] {
  const db = openSqlite(path);
  db.pragma('synchronous = OFF');
  const results: LoadResult[] = [];
  try {
    for (const load of loads) {
      const started = performance.now();
      // Secondary indexes are rebuilt after the load (one sorted build beats a million B-tree
      // inserts); the rebuild counts in the table's time.
      const indexes = db
        .prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null")
        .all(load.table) as { name: string; sql: string }[];
      for (const index of indexes) db.exec(`drop index ${index.name}`);
      // Multi-row INSERTs (within SQLite's 32,766-parameter limit) amortize per-statement cost.
      const perStatement = Math.max(1, Math.min(200, Math.floor(32_000 / load.columns.length)));
      const tuple = `(${load.columns.map(() => '?').join(', ')})`;
      const head = `insert into ${load.table} (${load.columns.join(', ')}) values `;
      const insertMany = db.prepare(head + Array.from({ length: perStatement }, () => tuple).join(', '));
      const insertOne = db.prepare(head + tuple);
      const iterator = load.rows()[Symbol.iterator]();
      let done = 0;
      const batch = db.transaction(() => {
        const params: (string | number | null)[] = [];
        let pending = 0;
        let more = true;
        for (let i = 0; i < BATCH; i++) {
          const next = iterator.next();
          if (next.done) {
            more = false;
            break;
          }
          for (const value of next.value) params.push(value);
          done++;
          if (++pending === perStatement) {
            insertMany.run(params);
            params.length = 0;
            pending = 0;
          }
        }
        // The rows that did not fill a multi-row statement.
        for (let r = 0; r < pending; r++)
          insertOne.run(params.slice(r * load.columns.length, (r + 1) * load.columns.length));
        return more;
      });
      while (batch()) progress(load.table, done, load.count);
      progress(load.table, done, load.count);
      for (const index of indexes) db.exec(index.sql);
      results.push({ table: load.table, rows: done, seconds: (performance.now() - started) / 1000 });
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('analyze');
  } finally {
    db.close();
  }
  return results;
}

/** COPY text format: backslash, tab, newline and carriage return escaped; NULL as \N. */
function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

async function loadPostgres(url: string, loads: TableLoad[], progress: Progress): Promise<LoadResult[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const results: LoadResult[] = [];
  try {
    for (const load of loads) {
      const started = performance.now();
      // As on SQLite: plain secondary indexes (not those behind constraints) are rebuilt after COPY.
      const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
        `select indexname, indexdef from pg_indexes i where tablename = $1 and schemaname = current_schema()
           and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
        [load.table],
      );
      for (const index of indexes) await client.query(`drop index ${index.indexname}`);
      const stream = client.query(copyFrom(`copy ${load.table} (${load.columns.join(', ')}) from stdin`));
      let done = 0;
      async function* lines() {
        let chunk = '';
        for (const row of load.rows()) {
          chunk += `${row.map(copyField).join('\t')}\n`;
          done++;
          if (done % 2000 === 0) {
            yield chunk;
            chunk = '';
            if (done % BATCH === 0) progress(load.table, done, load.count);
          }
        }
        if (chunk) yield chunk;
      }
      await pipeline(lines, stream as unknown as Writable);
      progress(load.table, done, load.count);
      for (const index of indexes) await client.query(index.indexdef);
      results.push({ table: load.table, rows: done, seconds: (performance.now() - started) / 1000 });
    }
    // Identity columns do not advance on COPY with explicit ids: move them past what was loaded.
    for (const load of loads) {
      if (!load.columns.includes('id')) continue;
      // Only generated ids have a sequence (statistics_snapshots.id is a text key).
      const { rows } = await client.query<{ seq: string | null }>(`select pg_get_serial_sequence($1, 'id') as seq`, [
        load.table,
      ]);
      if (!rows[0]?.seq) continue;
      await client.query(
        `select setval(pg_get_serial_sequence('${load.table}', 'id'), (select coalesce(max(id), 1) from ${load.table}))`,
      );
    }
    // VACUUM too: it sets the visibility map, without which index-only scans visit the heap for
    // every row until autovacuum gets there.
    for (const load of loads) await client.query(`vacuum analyze ${load.table}`);
  } finally {
    await client.end();
  }
  return results;
}
