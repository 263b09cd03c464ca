import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { Engine } from './connection.js';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001_identities.js';

type EngineMigration = { up(db: Kysely<unknown>, engine: Engine): Promise<void> };

/**
 * Numbered migrations, in order. Listed here rather than read from the directory so that they work
 * the same from TypeScript sources (tests) and compiled output (production).
 */
const MIGRATIONS: Record<string, EngineMigration> = {
  '0001_identities': m0001,
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
  const migrator = new Migrator({
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
