import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { DatabaseHandle } from './connection.js';
import type { Database } from './schema.js';

/**
 * The engine-specific half of backups: a consistent copy of the database while it serves and
 * writes, and putting one back. SQLite: its online backup API. PostgreSQL: `pg_dump` of an
 * exported snapshot (the caller reads the same snapshot to list the files its rows own), and
 * `pg_restore`, which must be installed.
 */

const run = promisify(execFile);

/** libpq reads `%20`, not the `+` that URL encoders write for a space (in `options=-c search_path=…`). */
const forLibpq = (url: string) => url.replace(/\+/g, '%20');

/** A copy that failed in a way that trying again fixes. */
export class BackupRetry extends Error {
  override name = 'BackupRetry';
}

export const DATABASE_FILE = { sqlite: 'recap.db', postgres: 'recap.pgdump' } as const;

/** The schema a URL selects with `options=-c search_path=…` (the tests' scratch schemas), if any. */
function searchPath(url: string): string | undefined {
  const options = new URL(url).searchParams.get('options') ?? '';
  return /search_path=([A-Za-z0-9_]+)/.exec(options)?.[1];
}

async function hasTool(name: string): Promise<boolean> {
  try {
    await run(name, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies the database into `dir` and calls `withSnapshot` with a handle on exactly what was
 * copied: the copy itself (SQLite) or a transaction in the dumped snapshot (PostgreSQL).
 */
export async function backupDatabase<T>(
  handle: DatabaseHandle,
  url: string,
  dir: string,
  withSnapshot: (db: Kysely<Database>) => Promise<T>,
): Promise<{ file: string; result: T }> {
  const file = join(dir, DATABASE_FILE[handle.engine]);
  if (handle.engine === 'sqlite') {
    await handle.sqlite!.backup(file);
    // Seen under load: the backup resolved and its file was not there. The caller starts over.
    if (!existsSync(file)) throw new BackupRetry('the database copy did not appear');
    // Read-only: the copy stays byte for byte what the backup wrote (its hash goes in the manifest).
    const copy = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new SQLite(file, { readonly: true }) }),
    });
    try {
      return { file, result: await withSnapshot(copy) };
    } finally {
      await copy.destroy();
    }
  }
  if (!(await hasTool('pg_dump')))
    throw new Error('pg_dump is not installed: install the PostgreSQL client tools (Debian: postgresql-client)');
  return handle.db.connection().execute(async (connection) => {
    await sql`begin isolation level repeatable read`.execute(connection);
    try {
      const { rows } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(connection);
      const schema = searchPath(url);
      await run('pg_dump', [
        '--format=custom',
        '--no-owner',
        `--snapshot=${rows[0]!.id}`,
        `--file=${file}`,
        ...(schema ? [`--schema=${schema}`] : []),
        forLibpq(url),
      ]);
      return { file, result: await withSnapshot(connection) };
    } finally {
      await sql`rollback`.execute(connection);
    }
  });
}

/** Puts a backup's database into an empty target: SQLite a new file, PostgreSQL an empty database. */
export async function restoreDatabase(engine: 'sqlite' | 'postgres', url: string, file: string): Promise<void> {
  if (engine === 'sqlite') {
    const target = url.slice('sqlite:'.length);
    if ((await stat(target).catch(() => undefined))?.size)
      throw new Error(`${target} exists: restore into an empty place`);
    await copyFile(file, target);
    return;
  }
  if (!(await hasTool('pg_restore')))
    throw new Error('pg_restore is not installed: install the PostgreSQL client tools (Debian: postgresql-client)');
  await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${forLibpq(url)}`, file]);
}
