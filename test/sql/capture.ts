import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { Engine } from '../../src/db/connection.js';
import type { Database } from '../../src/db/schema.js';

/**
 * A Kysely instance of either dialect that runs nothing: it records the SQL of every statement and
 * answers each with one row whose every column reads 1, so that code which reads its results (a
 * count, a returned id) goes on to its next statement.
 */
export function capturingDatabase(engine: Engine): { db: Kysely<Database>; take(): string[] } {
  let statements: string[] = [];
  // A packed count map (a blob) reads as one pair of zeros.
  const row = new Proxy(
    {},
    { get: (_target, key) => (key === 'then' ? undefined : key === 'counts' ? new Uint8Array(8) : 1) },
  );
  const connection: DatabaseConnection = {
    async executeQuery<R>(query: { sql: string }): Promise<QueryResult<R>> {
      statements.push(query.sql);
      return { rows: [row as R], numAffectedRows: 1n };
    },
    // eslint-disable-next-line require-yield -- nothing is streamed
    async *streamQuery() {
      return;
    },
  };
  const driver: Driver = {
    init: async () => undefined,
    acquireConnection: async () => connection,
    beginTransaction: async () => undefined,
    commitTransaction: async () => undefined,
    rollbackTransaction: async () => undefined,
    releaseConnection: async () => undefined,
    destroy: async () => undefined,
  };
  const postgres = engine === 'postgres';
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => (postgres ? new PostgresAdapter() : new SqliteAdapter()),
      createDriver: () => driver,
      createIntrospector: (k) => (postgres ? new PostgresIntrospector(k) : new SqliteIntrospector(k)),
      createQueryCompiler: () => (postgres ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
    },
  });
  return {
    db,
    take: () => {
      const taken = statements;
      statements = [];
      return taken;
    },
  };
}
