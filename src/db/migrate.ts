import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { Engine } from './connection.js';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001_identities.js';
import * as m0002 from './migrations/0002_recordings.js';

type EngineMigration = { up(db: Kysely<unknown>, engine: Engine): Promise<void> };

/**
 * Numbered migrations, in order. Listed here rather than read from the directory so that they work
 * the same from TypeScript sources (tests) and compiled output (production).
 */
const MIGRATIONS: Record<string, EngineMigration> = {
  '0001_identities': m0001,
  '0002_recordings': m0002,
};

export const LATEST_MIGRATION = Object.keys(MIGRATIONS).at(-1) ?? '';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Brings the schema up to date. Idempotent. Safe with several instances starting at once: Kysely
 * holds a PostgreSQL advisory lock (SQLite: the database write lock) while it migrates.
 */
export async function migrateToLatest(db: Kysely<Database>, engine: Engine): Promise<string[]> {
  // Kysely looks for its own tables in every schema unless told which: another schema's
  // kysely_migration (another app, or another Recap) would fool it. Pin them to ours.
  const schema =
    engine === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({
    ...(schema ? { migrationTableSchema: schema } : {}),
    // Migrations see the schema as it was when they were written, not today's table types.
    db: db as unknown as Kysely<unknown>,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, m]): [string, Migration] => [name, { up: (trx) => m.up(trx, engine) }]),
        ),
    },
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(`migration ${failed ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
