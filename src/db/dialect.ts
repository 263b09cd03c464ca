import {
  CompiledQuery,
  PostgresAdapter,
  sql,
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
} from 'kysely';
import type { Engine } from './connection.js';
import { nameStatement } from './named-statements.js';

/**
 * The few places where SQLite and PostgreSQL differ. Everything else is written once with Kysely.
 */

/** Adds an auto-generated 64-bit integer primary key named `id`. */
export function withIdColumn<T extends string>(
  table: CreateTableBuilder<T>,
  engine: Engine,
): CreateTableBuilder<T, 'id'> {
  return engine === 'sqlite'
    ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}

export const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

/** Whether an error is a unique-constraint violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Runs `fn` in a transaction that holds an exclusive lock named by `key`, so that several instances
 * sharing one database do a piece of work once (first-start setup, statistics snapshots).
 * PostgreSQL: a transaction-scoped advisory lock. SQLite: the write lock, which BEGIN IMMEDIATE takes.
 */
export async function withExclusiveLock<DB, T>(
  db: Kysely<DB>,
  key: number,
  fn: (trx: Kysely<DB>) => Promise<T>,
): Promise<T> {
  if (isPostgres(db)) {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${key})`.execute(trx);
      return fn(trx);
    });
  }
  // SQLite: every transaction begins immediate (connection.ts), which takes the write lock.
  return db.transaction().execute(fn);
}

/** `lower(column)` for case-insensitive lookups that use the matching expression index. */
export const lower = (column: string): RawBuilder<string> => sql<string>`lower(${sql.ref(column)})`;

/**
 * Whether a Kysely instance (or transaction) talks to PostgreSQL: how every dialect difference
 * is chosen, from the database handle itself (see dialectOf).
 */
export const isPostgres = <DB>(db: Kysely<DB>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * A name to sort by, any letter case, in code-point order on both engines (PostgreSQL would
 * otherwise use the database's collation, which orders punctuation and case differently).
 */
export const nameOrder = <DB>(db: Kysely<DB>, column: string): RawBuilder<string> =>
  isPostgres(db) ? sql<string>`lower(${sql.ref(column)}) collate "C"` : sql<string>`lower(${sql.ref(column)})`;

/** The engine behind a Kysely instance (migrations, which take it as an argument, get it from here). */
export const dialectOf = <DB>(db: Kysely<DB>): Engine => (isPostgres(db) ? 'postgres' : 'sqlite');

/** Runs `fn` in a transaction, or in the caller's when `db` already is one (e.g. a whole import). */
export function atomically<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}

/**
 * `n` fresh ids of `table`'s generated `id`, for multi-row inserts that must know their ids before
 * the rows exist (an import's later lines refer to earlier ones). PostgreSQL: from the identity
 * sequence. SQLite: moves the AUTOINCREMENT counter past them (a write, so it also takes the write
 * lock and no other writer can hand out the same ids).
 */
export async function reserveIds<DB>(db: Kysely<DB>, table: string, n: number): Promise<number[]> {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`cannot reserve ${n} ids`);
  if (isPostgres(db)) {
    const { rows } = await sql<{
      id: number;
    }>`select nextval(pg_get_serial_sequence(${table}, 'id')) as id from generate_series(1, ${n})`.execute(db);
    return rows.map((r) => Number(r.id));
  }
  await sql`insert into sqlite_sequence (name, seq) select ${table}, 0 where not exists (select 1 from sqlite_sequence where name = ${table})`.execute(
    db,
  );
  const { rows } = await sql<{ seq: number }>`
    update sqlite_sequence set seq = max(seq, (select coalesce(max(id), 0) from ${sql.table(table)})) + cast(${n} as integer)
     where name = ${table} returning seq`.execute(db);
  const last = Number(rows[0]!.seq);
  return Array.from({ length: n }, (_, i) => last - n + 1 + i);
}

/**
 * The next value of the counter `name`, which never hands out a value twice: PostgreSQL's sequence
 * of that name (a migration creates it); on SQLite a row of sqlite_sequence, moved in the caller's
 * transaction (a write: it holds the write lock, so no other writer draws the same value, and a
 * rolled-back value was never seen by anyone).
 */
export async function nextCounterValue<DB>(db: Kysely<DB>, name: string): Promise<number> {
  if (isPostgres(db)) {
    const { rows } = await sql<{ value: string }>`select nextval(${name}) as value`.execute(db);
    return Number(rows[0]!.value);
  }
  // Moved first: the row exists after the first value, so one statement is the usual cost.
  const moved = await sql<{
    seq: number;
  }>`update sqlite_sequence set seq = seq + 1 where name = ${name} returning seq`.execute(db);
  if (moved.rows.length > 0) return Number(moved.rows[0]!.seq);
  await sql`insert into sqlite_sequence (name, seq) values (${name}, 1)`.execute(db);
  return 1;
}

const bulkTexts = new Map<string, string>();

/**
 * A multi-row INSERT of `rows` (arrays in `columns` order), for bulk paths where building a query
 * object per value would cost more than the insert (Kysely parses every value of `values()` into
 * nodes). `conflict`, when given, is appended verbatim: an `on conflict … do …` clause, which both
 * engines spell the same. Identifiers come from our own code, never from input.
 *
 * SQLite: VALUES with bound parameters, chunked under its parameter limit; the text of a full chunk
 * is built once, so the statement cache prepares it once. PostgreSQL: one text per table, columns
 * and clause, whatever the number of rows (the rows travel as one JSON parameter and take the
 * table's column types), sent as a named statement: a 500-row VALUES text costs ~6 ms to parse and
 * plan each time, and ~1 MB per connection kept prepared.
 */
export async function bulkInsert<DB>(
  db: Kysely<DB>,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  conflict = '',
): Promise<number> {
  const values: unknown[] = [];
  for (const row of rows) for (const value of row) values.push(value);
  return bulkInsertValues(db, table, columns, values, conflict);
}

/**
 * bulkInsert with the rows' values given one after the other (`columns.length` per row): no array
 * per row. Returns how many rows were written (with `on conflict do nothing`, those inserted).
 */
export async function bulkInsertValues<DB>(
  db: Kysely<DB>,
  table: string,
  columns: readonly string[],
  values: unknown[],
  conflict = '',
): Promise<number> {
  const postgres = isPostgres(db);
  const width = columns.length;
  const rows = values.length / width;
  if (!Number.isInteger(rows)) throw new RangeError(`${values.length} values are not rows of ${width} columns`);
  const chunk = postgres ? 5_000 : Math.max(1, Math.floor(8000 / width));
  let written = 0;
  for (let start = 0; start < rows; start += chunk) {
    const size = Math.min(chunk, rows - start);
    const text = bulkText(postgres, table, columns, size, conflict);
    const parameters = size === rows ? values : values.slice(start * width, (start + size) * width);
    const bound = postgres ? [jsonRecords(columns, parameters)] : parameters;
    written += Number((await db.executeQuery(CompiledQuery.raw(text, bound))).numAffectedRows ?? 0);
  }
  return written;
}

function bulkText(postgres: boolean, table: string, columns: readonly string[], size: number, conflict: string) {
  const key = postgres
    ? `pg|${table}|${columns.join(',')}|${conflict}`
    : `${table}|${columns.join(',')}|${size}|${conflict}`;
  let text = bulkTexts.get(key);
  if (text) return text;
  const list = columns.join(', ');
  if (postgres) {
    text = `insert into ${table} (${list}) select ${list} from json_populate_recordset(null::${table}, $1) ${conflict}`;
    nameStatement(text);
  } else {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    text = `insert into ${table} (${list}) values ${Array.from({ length: size }, () => tuple).join(', ')} ${conflict}`;
  }
  if (bulkTexts.size > 200) bulkTexts.clear();
  bulkTexts.set(key, text);
  return text;
}

/** Rows as a JSON array of objects by column name; bytes as PostgreSQL's hex text (`\x…`). */
function jsonRecords(columns: readonly string[], values: readonly unknown[]): string {
  const records: Record<string, unknown>[] = [];
  for (let at = 0; at < values.length; at += columns.length) {
    const record: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const value = values[at + i];
      record[column] =
        value instanceof Uint8Array
          ? `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`
          : typeof value === 'bigint'
            ? String(value)
            : value;
    });
    records.push(record);
  }
  return JSON.stringify(records);
}

export type SortDirection = 'asc' | 'desc';

/**
 * One page of keys in (`time`, `tie`) order over several arms (one per room), each read in index
 * order and merged lazily by the engine (SQLite: co-routine MERGE of the UNION ALL; PostgreSQL:
 * Merge Append), so the cost follows offset + limit, never the rooms' size. PostgreSQL plans a
 * Merge Append only when each arm is itself ordered (a subquery with its own ORDER BY); given plain
 * arms it appends and sorts every row of the rooms. SQLite flattens the unordered subqueries back
 * into plain arms, which it merges (an ordered one it would not).
 *
 * `limit` is written into the text (a prepared query's shape), the offset bound: with LIMIT as a
 * parameter, PostgreSQL costs a generic plan for an unknown share of the rows above the custom ones
 * and plans every execution anew (~0.4 ms of a three-room page); with it in the text, it keeps the
 * same plan, generic, after five executions.
 */
export function mergeOrderedArms<DB, TB extends keyof DB, O>(
  db: Kysely<DB>,
  arms: readonly SelectQueryBuilder<DB, TB, O>[],
  [time, tie]: readonly [string, string],
  direction: SortDirection,
  page: { offset: number; limit: number },
): SelectQueryBuilder<DB, TB, O> {
  if (!Number.isSafeInteger(page.limit) || page.limit < 0) throw new RangeError(`bad page limit ${page.limit}`);
  const ordered = isPostgres(db);
  // Typed loosely inside: the arms' columns are known to the callers, not here.
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const wrapped = arms.map((arm, i) => {
    const query = ordered ? arm.orderBy(sql.ref(time), direction).orderBy(sql.ref(tie), direction) : arm;
    return loose.selectFrom(query.as(`arm${i}`)).selectAll() as unknown as SelectQueryBuilder<DB, TB, O>;
  });
  const [first, ...rest] = wrapped;
  if (!first) throw new Error('a merged page needs at least one arm');
  return rest
    .reduce((compound, next) => compound.unionAll(next), first)
    .orderBy(sql.ref(time), direction)
    .orderBy(sql.ref(tie), direction)
    .limit(sql.lit(page.limit))
    .offset(page.offset);
}

/**
 * A JSON array column of integers as rows: the FROM item (aliased `alias`) and the element's
 * value as an integer expression. PostgreSQL: json_array_elements_text; SQLite: json_each.
 */
export function jsonIntegerElements<DB>(
  db: Kysely<DB>,
  column: string,
  alias: string,
): { from: string; value: string } {
  return isPostgres(db)
    ? { from: `json_array_elements_text(${column}::json) as ${alias}(v)`, value: `${alias}.v::bigint` }
    : { from: `json_each(${column}) as ${alias}`, value: `${alias}.value` };
}

/**
 * `column` is one of `values`, bound as one value (a JSON text on SQLite, an array on PostgreSQL):
 * hundreds of ids are one parameter, not a list the query builder expands and the server parses
 * and plans each time (500 event ids as an IN list: ~3 ms to plan on PostgreSQL).
 */
export function isOneOf<DB>(
  db: Kysely<DB>,
  column: string,
  values: readonly number[] | readonly string[],
): RawBuilder<boolean> {
  if (!isPostgres(db))
    return sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`;
  return typeof values[0] === 'string'
    ? sql<boolean>`${sql.ref(column)} = any(cast(${[...values]} as text[]))`
    : sql<boolean>`${sql.ref(column)} = any(cast(${[...values]} as bigint[]))`;
}

/**
 * Locks the rows a read inside a transaction returns until it ends (PostgreSQL: FOR UPDATE). A
 * SQLite write transaction holds the whole database already.
 */
export function forUpdate<DB, Q extends { forUpdate(): Q }>(db: Kysely<DB>, query: Q): Q {
  return isPostgres(db) ? query.forUpdate() : query;
}

/** One range of a count table's buckets at one level, summed under its arm's `index`. */
export interface LevelRangeArm {
  index: number;
  level: number;
  from: number;
  to: number;
}

/** Arms per statement on SQLite: well under its 500 compound terms. */
const ARMS_PER_STATEMENT = 200;

/**
 * The `total`s of a count table for one owner over many level ranges, summed per arm index.
 * PostgreSQL plans every statement it runs (a UNION of 150 arms took ~15 ms to plan): one
 * statement with the ranges as unnest arrays, LATERAL keeping it one index range scan per range
 * (a plain join let the planner hash-join a scan of the whole table: 73 ms). SQLite: `unionOfArms`
 * (a prepared UNION ALL, one arm per range) per chunk of 200 arms.
 */
export async function sumOverLevelRanges<DB>(
  db: Kysely<DB>,
  target: { table: string; owner: string; ownerId: number },
  arms: readonly LevelRangeArm[],
  unionOfArms: (chunk: readonly LevelRangeArm[]) => Promise<readonly { i: number; n: number }[]>,
): Promise<Map<number, number>> {
  const totals = new Map<number, number>();
  if (arms.length === 0) return totals;
  if (isPostgres(db)) {
    const rows = await sql<{ i: number; n: number }>`
      select p.i, sum(c.total) as n
      from unnest(cast(${arms.map((a) => a.index)} as bigint[]), cast(${arms.map((a) => a.level)} as int[]),
                  cast(${arms.map((a) => a.from)} as bigint[]), cast(${arms.map((a) => a.to)} as bigint[])) as p(i, level, b_from, b_to)
      cross join lateral (select sum(total) as total from ${sql.table(target.table)} c
                          where ${sql.ref(`c.${target.owner}`)} = ${target.ownerId} and c.level = p.level and c.bucket >= p.b_from and c.bucket < p.b_to) c
      group by p.i`.execute(db);
    for (const r of rows.rows) totals.set(Number(r.i), Number(r.n));
    return totals;
  }
  for (let start = 0; start < arms.length; start += ARMS_PER_STATEMENT) {
    for (const r of await unionOfArms(arms.slice(start, start + ARMS_PER_STATEMENT))) {
      totals.set(Number(r.i), (totals.get(Number(r.i)) ?? 0) + Number(r.n));
    }
  }
  return totals;
}
