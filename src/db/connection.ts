import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DialectAdapter,
  type Driver,
  type MigrationLockOptions,
  type SchemaMetadata,
  type SqliteDatabase as SqliteDialectDatabase,
  type SqliteDialectConfig,
  type TableMetadata,
} from 'kysely';
import pg from 'pg';
import { useNamedStatements } from './named-statements.js';
import type { Database } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** SQLite only: a value that differs after any commit, by this or another connection (see read-cache.ts). */
  changeCounter?: () => string;
  /** SQLite only: the connection itself (its online backup API). */
  sqlite?: SQLite.Database;
  /** Closes every connection; safe to call twice. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  poolSize?: number;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** BIGINT and NUMERIC (from SUM/COUNT) as JS numbers: every value we store fits in 2^53. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8 || oid === PG_NUMERIC
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export function engineOf(url: string): Engine {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`unsupported database URL "${url}" (use sqlite:<path> or postgres://…)`);
}

/** Opens SQLite with WAL, full fsync on commit, foreign keys and a busy timeout. */
export function openSqlite(path: string): SQLite.Database {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  // The busy timeout first: switching a fresh file to WAL takes a lock another process may hold.
  const database = new SQLite(path, { timeout: 10_000 });
  database.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before the response is sent (contract: every accepted write is durable).
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  // 64 MiB page cache and memory-mapped reads: list pages touch rows scattered over the table.
  database.pragma('cache_size = -65536');
  database.pragma('mmap_size = 268435456');
  return database;
}

/**
 * better-sqlite3 compiles a statement on every prepare() and Kysely prepares on every query. Hot
 * routes run the same few SQL texts, so reuse compiled statements (bounded LRU). Safe because
 * Kysely runs one statement at a time per connection and never streams with iterate() here.
 */
function withStatementCache(database: SQLite.Database, capacity = 500): SqliteDialectDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare: (text: string) => {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = database.prepare(text);
        if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/**
 * `PRAGMA data_version` changes when another connection commits; `total_changes()` counts this
 * connection's row changes (committed or not, so it never goes back). Together: any write.
 */
function sqliteChangeCounter(database: SQLite.Database): () => string {
  // Two statements: the PRAGMA alone costs ~2.3 µs, through pragma_data_version() ~4 µs.
  const dataVersion = database.prepare('pragma data_version').pluck(true);
  const totalChanges = database.prepare('select total_changes()').pluck(true);
  return () => `${dataVersion.get() as number}:${totalChanges.get() as number}`;
}

/**
 * Every transaction on SQLite is BEGIN IMMEDIATE: it takes the write lock up front, queued by the
 * busy timeout. A deferred transaction that reads and then writes fails at once with "database is
 * locked" when another process committed in between (WAL cannot upgrade a stale snapshot), which
 * made instances migrating one fresh file at once fail now and then. In-process this costs
 * nothing: Kysely gives a transaction the only connection anyway.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Kysely's SQLite adapter claims no transactional DDL and takes no migration lock (it assumes one
 * connection). Several processes can share a file and SQLite's DDL is transactional, so each
 * migration run is one immediate transaction (above): the first process to begin it migrates, the
 * others wait and then find nothing to do. The lock row's flag is still kept (statistics report
 * it as migration.locked); Kysely writes it just before the transaction.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }

  override async acquireMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    await sql`update ${sql.table(options.lockTable)} set is_locked = 1 where id = ${options.lockRowId}`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    await sql`update ${sql.table(options.lockTable)} set is_locked = 0 where id = ${options.lockRowId}`.execute(db);
  }
}

class LockingSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }

  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }
}

/**
 * Kysely's PostgreSQL introspector (which its Migrator calls before taking the migration lock)
 * reads the columns of every table in every schema and calls pg_get_serial_sequence() on each, so
 * it fails with "schema … does not exist" whenever another schema is dropped during the scan (another
 * tenant's schema, another app, or parallel test schemas). Recap only ever needs its own schema.
 */
class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(this.db);
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{
      schema: string;
      table: string;
      kind: string;
      column: string;
      type: string;
      not_null: boolean;
      has_default: boolean;
    }>`
      select ns.nspname as schema, c.relname as table, c.relkind as kind, a.attname as column,
             t.typname as type, a.attnotnull as not_null, a.atthasdef as has_default
        from pg_catalog.pg_class c
        join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid
        join pg_catalog.pg_type t on t.oid = a.atttypid
       where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
         and a.attnum > 0 and not a.attisdropped
       order by c.relname, a.attnum`.execute(this.db);
    const tables = new Map<string, TableMetadata>();
    for (const row of rows) {
      let table = tables.get(row.table);
      if (!table) {
        table = { name: row.table, schema: row.schema, isView: row.kind === 'v', columns: [] };
        tables.set(row.table, table);
      }
      table.columns.push({
        name: row.column,
        dataType: row.type,
        isNullable: !row.not_null,
        hasDefaultValue: row.has_default,
        isAutoIncrementing: false,
      });
    }
    return [...tables.values()];
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

class CurrentSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

export async function connect(url: string, options: ConnectOptions = {}): Promise<DatabaseHandle> {
  const engine = engineOf(url);
  if (engine === 'sqlite') {
    const database = openSqlite(url.slice('sqlite:'.length));
    const db = new Kysely<Database>({ dialect: new LockingSqliteDialect({ database: withStatementCache(database) }) });
    return {
      db,
      engine,
      changeCounter: sqliteChangeCounter(database),
      sqlite: database,
      close: onceAsync(() => db.destroy()),
    };
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: pgTypes,
  });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  pool.on('connect', useNamedStatements);
  const db = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool }) });
  return { db, engine, close: onceAsync(() => db.destroy()) };
}

function onceAsync(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
