import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type RawBuilder } from 'kysely';
import type { Engine } from './connection.js';

/**
 * The few places where SQLite and PostgreSQL differ. Everything else is written once with Kysely.
 */

/** Adds an auto-generated 64-bit integer primary key named `id`. */
export function withIdColumn<T extends string>(table: CreateTableBuilder<T>, engine: Engine): CreateTableBuilder<T, 'id'> {
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
 * PostgreSQL: a transaction-scoped advisory lock. SQLite: the write lock, taken up front.
 */
export async function withExclusiveLock<DB, T>(db: Kysely<DB>, engine: Engine, key: number, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (engine === 'postgres') {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${key})`.execute(trx);
      return fn(trx);
    });
  }
  // A deferred SQLite transaction that reads then writes can fail with SQLITE_BUSY when another
  // process got there first; a dummy write as the first statement takes the write lock at once.
  return db.transaction().execute(async (trx) => {
    await sql`update instance_settings set value = value where 0`.execute(trx);
    return fn(trx);
  });
}

/** `lower(column)` for case-insensitive lookups that use the matching expression index. */
export const lower = (column: string): RawBuilder<string> => sql<string>`lower(${sql.ref(column)})`;

/** Whether a Kysely instance (or transaction) talks to PostgreSQL. */
export const isPostgres = <DB>(db: Kysely<DB>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/** Runs `fn` in a transaction, or in the caller's when `db` already is one (e.g. a whole import). */
export function atomically<DB, T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
