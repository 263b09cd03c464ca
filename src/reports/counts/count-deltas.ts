import { sql, type Kysely } from 'kysely';
import { bulkInsert } from '../../db/dialect.js';
import type { Database, ReportsTable } from '../../db/schema.js';
import { CountMapDeltas, MAP_KIND } from './count-maps.js';
import { BUCKET_MS, KEY_COLUMNS, LEVEL_SIZES, LEVELS_OF, type CountTable } from './levels.js';

/** A choice made in a report: what its counts are kept by. */
export interface Selection {
  field_id: number;
  option_id: number;
}

/** Buckets per chunk of a key's changes (a chunk is an Int32Array of this length). */
const CHUNK_BUCKETS = 256;

/**
 * One key's changes (`b` is -1 for a one-column key) at its table's finest level: chunks of
 * consecutive buckets, by bucket / CHUNK_BUCKETS. A year of quarter hours is 137 chunks (140 KB):
 * an import adding a report at a random time reads a small array, where a map of 35,000
 * buckets missed the CPU caches on nearly every report.
 */
interface KeyDeltas {
  a: number;
  b: number;
  chunks: Map<number, Int32Array>;
}

/** Per table: keys by first then second column, and the key used last (an import repeats keys). */
interface TableDeltas {
  /** Bucket width of the table's finest level. */
  widthMs: number;
  keys: Map<number, Map<number, KeyDeltas>>;
  last: KeyDeltas | undefined;
}

/**
 * Changes to the pre-aggregated counts, summed in memory per (table, key, bucket) and written as
 * one multi-row upsert per table: a report is 10–14 counter rows, an import of many reports far
 * fewer than that per report (neighbours share buckets). An import adds a report every few
 * microseconds, so only each table's finest level is summed per report (the key added last
 * found without a lookup); the wider levels are summed from those at flush.
 */
export class CountDeltas {
  private tables = CountDeltas.empty();
  private chunks = 0;
  /** Count maps changed besides those the tables' changes give (deliveries, by retention). */
  private maps = new CountMapDeltas();

  /** A deleted alert delivery (retention): its recipient's delivery maps lose it. */
  removeDelivery(d: { channel_id: number; user_id: number; sent_at: number; opened: number }): void {
    this.maps.addDelivery(d.channel_id, d.user_id, d.sent_at, d.opened === 1, -1);
  }

  private static empty(): Record<CountTable, TableDeltas> {
    const table = (name: CountTable): TableDeltas => ({
      widthMs: BUCKET_MS * LEVEL_SIZES[LEVELS_OF[name][0]!]!,
      keys: new Map(),
      last: undefined,
    });
    return {
      report_counts: table('report_counts'),
      report_state_counts: table('report_state_counts'),
      report_user_counts: table('report_user_counts'),
      report_option_counts: table('report_option_counts'),
    };
  }

  /** Memory held by the changes, in bytes (what an import flushes on). */
  get bytes(): number {
    return this.chunks * CHUNK_BUCKETS * Int32Array.BYTES_PER_ELEMENT;
  }

  /** Adds `delta` to `table`'s counts of one report instant; `b` is the second key column. */
  add(table: CountTable, a: number, b: number | undefined, createdAt: number, delta: number): void {
    const deltas = this.tables[table];
    const second = b ?? -1;
    let key = deltas.last;
    if (key?.a !== a || key.b !== second) {
      let byB = deltas.keys.get(a);
      if (!byB) deltas.keys.set(a, (byB = new Map()));
      key = byB.get(second);
      if (!key) byB.set(second, (key = { a, b: second, chunks: new Map() }));
      deltas.last = key;
    }
    const bucket = Math.floor(createdAt / deltas.widthMs);
    const index = Math.floor(bucket / CHUNK_BUCKETS);
    let chunk = key.chunks.get(index);
    if (!chunk) {
      key.chunks.set(index, (chunk = new Int32Array(CHUNK_BUCKETS)));
      this.chunks++;
    }
    chunk[bucket - index * CHUNK_BUCKETS]! += delta;
  }

  /** The counts of a report, new (1) or deleted (-1): its channel, user, state and selected options. */
  addReport(
    report: Pick<ReportsTable, 'channel_id' | 'user_id' | 'state_id' | 'created_at'>,
    selections: readonly Selection[],
    delta: 1 | -1 = 1,
  ): void {
    const at = report.created_at;
    this.add('report_counts', report.channel_id, undefined, at, delta);
    this.add('report_user_counts', report.channel_id, report.user_id, at, delta);
    if (report.state_id !== null) this.add('report_state_counts', report.channel_id, report.state_id, at, delta);
    for (const s of selections) this.add('report_option_counts', s.field_id, s.option_id, at, delta);
  }

  /**
   * Writes and forgets the changes (keys are distinct within a statement, as PostgreSQL requires).
   * Rows go in key order, so two writers upserting overlapping rows lock them in the same order
   * (no deadlock on PostgreSQL); a row a subtraction brought to 0 is deleted, so the table holds
   * exactly what a recount would.
   */
  async flush(db: Kysely<Database>): Promise<void> {
    const maps = this.maps;
    this.maps = new CountMapDeltas();
    for (const [table, { keys }] of Object.entries(this.tables) as [CountTable, TableDeltas][]) {
      if (keys.size === 0) continue;
      const keyColumns = KEY_COLUMNS[table].filter((c): c is string => c !== undefined);
      const [finest, ...wider] = LEVELS_OF[table];
      const changed: number[][] = [];
      const push = (a: number, b: number, level: number, bucket: number, total: number) => {
        if (total !== 0) changed.push(b === -1 ? [a, level, bucket, total] : [a, b, level, bucket, total]);
      };
      for (const byB of keys.values()) {
        for (const { a, b, chunks } of byB.values()) {
          const byBucket = new Map<number, number>();
          for (const [index, chunk] of chunks)
            chunk.forEach((total, slot) => total !== 0 && byBucket.set(index * CHUNK_BUCKETS + slot, total));
          for (const [bucket, total] of byBucket) {
            push(a, b, finest!, bucket, total);
            if (table === 'report_counts') maps.addQuarterHour(a, bucket, total);
            else if (table === 'report_user_counts') maps.add(a, MAP_KIND.user, Math.floor(bucket / 24), b, total);
          }
          for (const level of wider) {
            const ratio = LEVEL_SIZES[level]! / LEVEL_SIZES[finest!]!;
            const sums = new Map<number, number>();
            for (const [bucket, total] of byBucket) {
              const wide = Math.floor(bucket / ratio);
              sums.set(wide, (sums.get(wide) ?? 0) + total);
            }
            for (const [bucket, total] of sums) push(a, b, level, bucket, total);
          }
        }
      }
      changed.sort(byKey);
      await bulkInsert(
        db,
        table,
        [...keyColumns, 'level', 'bucket', 'total'],
        changed,
        `on conflict (${keyColumns.join(', ')}, level, bucket) do update set total = ${table}.total + excluded.total`,
      );
      const lowered = changed.filter((row) => row.at(-1)! < 0).map((row) => row.slice(0, -1));
      await deleteZeroRows(db, table, [...keyColumns, 'level', 'bucket'], lowered);
    }
    await maps.flush(db);
    this.tables = CountDeltas.empty();
    this.chunks = 0;
  }
}

/** Orders counter rows by key, level and bucket (the total, last, is not compared). */
function byKey(a: number[], b: number[]): number {
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** Deletes those of `rows` (key, level and bucket values) whose total is 0. */
async function deleteZeroRows(
  db: Kysely<Database>,
  table: CountTable,
  columns: readonly string[],
  rows: readonly number[][],
): Promise<void> {
  const key = sql.join(columns.map((c) => sql.ref(c)));
  for (let start = 0; start < rows.length; start += 1000) {
    const tuples = rows.slice(start, start + 1000).map((row) => sql`(${sql.join(row)})`);
    await sql`delete from ${sql.table(table)} where total = 0 and (${key}) in (${sql.join(tuples)})`.execute(db);
  }
}
