import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { connect, type DatabaseHandle, type Engine } from '../../src/db/connection.js';

/**
 * The engines every database test runs on: SQLite always, PostgreSQL when RECAP_TEST_POSTGRES_URL
 * is set (CI sets it). Test files loop over this list, so one suite covers both.
 */
export const ENGINES: Engine[] = process.env.RECAP_TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface ScratchDatabase {
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test: a SQLite file in a temp directory, or a new schema in the
 * test PostgreSQL database (selected through the libpq `options` search_path parameter).
 */
export async function scratchDatabase(engine: Engine): Promise<ScratchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'recap-test-'));
  if (engine === 'sqlite') {
    return {
      url: `sqlite:${join(dataDir, 'recap.db')}`,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const base = process.env.RECAP_TEST_POSTGRES_URL;
  if (!base) throw new Error('RECAP_TEST_POSTGRES_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(base, `create schema ${schema}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    dataDir,
    drop: async () => {
      await adminQuery(base, `drop schema if exists ${schema} cascade`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A scratch database, connected; closed and dropped when the test ends. */
export async function scratchConnection(t: TestContext, engine: Engine): Promise<DatabaseHandle> {
  const scratch = await scratchDatabase(engine);
  const database = await connect(scratch.url);
  t.after(async () => {
    await database.close();
    await scratch.drop();
  });
  return database;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * An empty place to restore a backup of `source` into: a new SQLite file and data directory, or a
 * new PostgreSQL database reached with the source's search_path (pg_restore recreates its schema).
 */
export async function restoreTarget(engine: Engine, source: ScratchDatabase): Promise<ScratchDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'recap-restore-'));
  if (engine === 'sqlite')
    return {
      url: `sqlite:${join(dataDir, 'recap.db')}`,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  const base = process.env.RECAP_TEST_POSTGRES_URL!;
  const name = `recap_restore_${randomBytes(6).toString('hex')}`;
  await adminQuery(base, `create database ${name}`);
  const url = new URL(source.url);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    drop: async () => {
      await adminQuery(base, `drop database if exists ${name} with (force)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
