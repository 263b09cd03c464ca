import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { issueToken } from '../../src/auth/service.js';
import { loadConfig } from '../../src/config/index.js';
import type { Database } from '../../src/db/schema.js';
import { prepareDatabase } from '../../src/main.js';
import { closeSessions } from '../../src/sessions/service.js';
import { LocalFileStorage } from '../../src/storage/files.js';
import { DATASETS } from '../datasets/index.js';
import { HOT_CHANNEL } from '../datasets/reports.js';
import { bulkLoad, type LoadResult } from './bulk-load.js';
import { liveTargets, type LiveJob } from './live.js';
import { Random } from './random.js';
import type { BenchContext } from './scenario.js';
import { benchTarget, type BenchTarget } from './targets.js';

export type EngineName = 'sqlite' | 'postgres';

export const BENCH_API = { key: 'bench-key', secret: 'bench-secret-0123456789abcdef' };
/** The data set's "now": every generated date lies before it. */
export const BENCH_NOW = Date.UTC(2026, 10, 1);

export interface BenchEngineOptions {
  scale: number;
  /** Reuse the data set an earlier run generated (generate only when there is none). */
  keep: boolean;
  seed: number;
  /** The PostgreSQL database whose `recap_bench_<scale>` schema holds that engine's data set. */
  postgresBase: string;
  log(line?: string): void;
}

/** One engine's data set, opened for the bench: its database, a signed-in context, the live writer's targets. */
export interface BenchEngine {
  engine: EngineName;
  target: BenchTarget;
  db: Kysely<Database>;
  context: BenchContext;
  liveJob: Omit<LiveJob, 'url' | 'now'>;
  close(): Promise<void>;
}

/** Whether the data set exists (and is kept) or must be generated: a SQLite file, or a PostgreSQL schema. */
async function prepareTarget(
  engine: EngineName,
  o: BenchEngineOptions,
): Promise<{ target: BenchTarget; fresh: boolean }> {
  const target = benchTarget(engine, o.scale, o.postgresBase);
  if (!target.schema) {
    const fresh = !(o.keep && existsSync(target.url.slice('sqlite:'.length)));
    if (fresh) rmSync(target.dataDir, { recursive: true, force: true });
    mkdirSync(target.dataDir, { recursive: true });
    return { target, fresh };
  }
  const client = new pg.Client({ connectionString: o.postgresBase });
  await client.connect();
  try {
    const found = await client.query('select 1 from information_schema.schemata where schema_name = $1', [
      target.schema,
    ]);
    const fresh = !(o.keep && found.rowCount === 1);
    if (fresh) {
      await client.query(`drop schema if exists ${target.schema} cascade`);
      await client.query(`create schema ${target.schema}`);
    }
    mkdirSync(target.dataDir, { recursive: true });
    return { target, fresh };
  } finally {
    await client.end();
  }
}

async function generate(engine: EngineName, url: string, db: Kysely<Database>, o: BenchEngineOptions): Promise<void> {
  const random = new Random(o.seed);
  const loads = DATASETS.flatMap((dataset) => dataset.loads({ scale: o.scale, random, now: BENCH_NOW }));
  const isTty = process.stdout.isTTY;
  let lastPrint = 0;
  const results: LoadResult[] = await bulkLoad(url, loads, (table, done, total) => {
    if (!isTty || performance.now() - lastPrint < 200) return;
    lastPrint = performance.now();
    process.stdout.write(
      `\r  loading ${table}: ${done.toLocaleString('en')} / ${total.toLocaleString('en')} (${Math.round((100 * done) / Math.max(total, 1))}%)   `,
    );
  });
  if (isTty) process.stdout.write('\r\x1b[K');
  const line = (name: string, rows: number, seconds: number) =>
    o.log(
      `  ${name.padEnd(24)} ${rows.toLocaleString('en').padStart(11)} rows  ${seconds.toFixed(2).padStart(7)} s  ${Math.round(
        rows / Math.max(seconds, 1e-9),
      )
        .toLocaleString('en')
        .padStart(10)} rows/s`,
    );
  for (const r of results) line(r.table, r.rows, r.seconds);
  line(
    'total',
    results.reduce((n, r) => n + r.rows, 0),
    results.reduce((n, r) => n + r.seconds, 0),
  );
  const timed = async (name: string, step: () => Promise<unknown>) => {
    const started = performance.now();
    await step();
    o.log(`  ${name.padEnd(24)} ${((performance.now() - started) / 1000).toFixed(2).padStart(25)} s`);
  };
  for (const dataset of DATASETS)
    if (dataset.afterLoad) await timed(`${dataset.name}: derived data`, () => dataset.afterLoad!(db));
  // What autovacuum does on a production server (it may be off on a test one): statistics for the
  // planner, and the visibility map that lets index-only scans skip the heap.
  if (engine === 'postgres') await timed('vacuum analyze', () => sql`vacuum analyze`.execute(db));
}

/** The pool and the PostgreSQL settings the figures depend on, for the bench's header. */
async function postgresSettings(db: Kysely<Database>, poolSize: number): Promise<string> {
  const names = [
    'server_version',
    'shared_buffers',
    'work_mem',
    'effective_cache_size',
    'synchronous_commit',
    'jit',
    'autovacuum',
  ];
  const { rows } = await sql<{ name: string; setting: string; unit: string | null }>`
    select name, setting, unit from pg_settings where name in (${sql.join(names)}) order by name`.execute(db);
  const shown = rows.map((r) => `${r.name}=${r.setting}${r.unit ? ` ${r.unit}` : ''}`).join(', ');
  return `PostgreSQL: pool of ${poolSize} connections per server; ${shown}`;
}

/** Opens (and, unless kept, generates) one engine's bench data set at the options' scale. */
export async function openBenchEngine(engine: EngineName, o: BenchEngineOptions): Promise<BenchEngine> {
  const { target, fresh } = await prepareTarget(engine, o);
  const config = loadConfig({
    RECAP_DATABASE_URL: target.url,
    RECAP_DATA_DIR: target.dataDir,
    RECAP_LOG_LEVEL: 'silent',
    RECAP_API_KEY: BENCH_API.key,
    RECAP_API_SECRET: BENCH_API.secret,
    RECAP_ADMIN_PASSWORD: 'bench-admin-password',
  });
  const { database } = await prepareDatabase(config);
  const db = database.db;
  if (engine === 'postgres') o.log(await postgresSettings(db, config.dbPoolSize));
  if (fresh) {
    o.log(`Generating the ${engine} data set (contract §6)…`);
    await generate(engine, target.url, db, o);
  } else {
    o.log(`Reusing the generated ${engine} data set (--keep).`);
  }
  // Sessions the room-events scenario of an earlier run left open would be closed by the first
  // server's sweeper while it is being measured: close them now, outside any measurement.
  const leftOpen = await closeSessions(db, new LocalFileStorage(join(target.dataDir, 'files')), 0);
  if (leftOpen > 0) o.log(`Closed ${leftOpen} session(s) an earlier run left open.`);
  const adminToken = (await issueToken(db, 1, 86_400_000, 'cli')).token;
  const context: BenchContext = {
    scale: o.scale,
    engine,
    db,
    apiKey: BENCH_API.key,
    apiSecret: BENCH_API.secret,
    adminToken,
    now: BENCH_NOW,
  };
  const liveJob = {
    ...(await liveTargets(db, HOT_CHANNEL)),
    apiKey: BENCH_API.key,
    apiSecret: BENCH_API.secret,
    adminToken,
  };
  return { engine, target, db, context, liveJob, close: () => database.close() };
}
