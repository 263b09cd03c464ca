import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config/index.js';
import type { Database } from '../src/db/schema.js';
import { prepareDatabase } from '../src/main.js';
import { HOT_CHANNEL } from './datasets/reports.js';
import type { LoadRequest, LoadSummary } from './lib/scenario.js';
import { startServer, stopServer } from './lib/server.js';

const DAY = 86_400_000;

export interface RetentionResult {
  idle: LoadSummary;
  deleting: LoadSummary;
  /** Reports the janitor removed while the load ran, with their reads, alerts and images. */
  reports: number;
  reads: number;
  seconds: number;
}

/**
 * The janitor under the read load: the same requests measured once with nothing expiring, then
 * right after every account's report retention is set so that the data set's first two months
 * expire (more than one run can delete in the window, so the rate is sustained). The server's
 * janitor runs every second (RECAP_JANITOR_INTERVAL), so it starts within a second of the PUT.
 * Destructive: run on a copy of the data set.
 */
export async function measureRetention(
  baseUrl: string,
  adminToken: string,
  db: Kysely<Database>,
  dataStart: number,
  load: (requests: LoadRequest[], seconds: number) => Promise<LoadSummary>,
  requests: LoadRequest[],
  seconds: number,
): Promise<RetentionResult> {
  const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  await load(requests, 2); // warm-up
  const idle = await load(requests, seconds);
  const count = async () => {
    const [reports, reads] = await Promise.all([
      db
        .selectFrom('reports')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('report_reads')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { reports: Number(reports.n), reads: Number(reads.n) };
  };
  const before = await count();
  const days = Math.ceil((Date.now() - (dataStart + 60 * DAY)) / DAY);
  const accounts = (await (await fetch(`${baseUrl}/api/v4/accounts`, { headers })).json()) as { id: number }[];
  const started = performance.now();
  for (const account of accounts) {
    const response = await fetch(`${baseUrl}/api/v4/retention`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ account_id: account.id, reports: days }),
    });
    if (!response.ok) throw new Error(`retention: ${response.status} ${await response.text()}`);
  }
  const deleting = await load(requests, seconds);
  const elapsed = (performance.now() - started) / 1000;
  const after = await count();
  return {
    idle,
    deleting,
    reports: before.reports - after.reports,
    reads: before.reads - after.reads,
    seconds: elapsed,
  };
}

/**
 * The janitor deleting two months of reports while the hot channel's analytics are read. It
 * deletes, so it runs on a copy of the SQLite file; on PostgreSQL it runs on the data set itself,
 * which is then dropped (the next run generates it again).
 */
export async function retentionUnderLoad(o: {
  engine: 'sqlite' | 'postgres';
  target: { url: string; dataDir: string };
  benchDb: Kysely<Database>;
  adminToken: string;
  now: number;
  seconds: number;
  postgresUrl: string;
  runLoad: (baseUrl: string, requests: LoadRequest[], seconds: number) => Promise<LoadSummary>;
  log: (line: string) => void;
}): Promise<void> {
  const { engine, target, adminToken, log } = o;
  let url = target.url;
  let dataDir = target.dataDir;
  if (engine === 'sqlite') {
    await sql`pragma wal_checkpoint(truncate)`.execute(o.benchDb);
    dataDir = resolve('bench/.data/retention-copy');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    copyFileSync(join(target.dataDir, 'recap.db'), join(dataDir, 'recap.db'));
    url = `sqlite:${join(dataDir, 'recap.db')}`;
  }
  const copy = await prepareDatabase(
    loadConfig({ RECAP_DATABASE_URL: url, RECAP_DATA_DIR: dataDir, RECAP_LOG_LEVEL: 'silent' }),
  );
  const { child, baseUrl } = await startServer(url, dataDir, { RECAP_JANITOR_INTERVAL: '1s' });
  try {
    const oldest = await copy.database.db
      .selectFrom('reports')
      .select((eb) => eb.fn.min('created_at').as('t'))
      .where('channel_id', '=', HOT_CHANNEL)
      .executeTakeFirstOrThrow();
    const reads = ['reports_over_time', 'reports_per_state', 'reports_per_user', 'reports_per_day_hour'].map(
      (endpoint) => {
        const search = new URLSearchParams({
          channel_id: String(HOT_CHANNEL),
          start_date: new Date(o.now - 365 * 86_400_000).toISOString(),
          end_date: new Date(o.now).toISOString(),
          time_zone: 'Europe/Berlin',
        });
        return {
          method: 'GET',
          path: `/api/v4/analytics/${endpoint}?${search}`,
          headers: { authorization: `Bearer ${adminToken}` },
        };
      },
    );
    const result = await measureRetention(
      baseUrl,
      adminToken,
      copy.database.db,
      Number(oldest.t),
      (requests, seconds) => o.runLoad(baseUrl, requests, seconds),
      reads,
      o.seconds,
    );
    log(
      `${'retention: janitor under the hot-channel read load'.padEnd(48)} ${Math.round(result.reports / result.seconds)
        .toLocaleString('en')
        .padStart(
          9,
        )} reports/s  (+${Math.round(result.reads / result.seconds).toLocaleString('en')} reads/s) deleted in ${result.seconds.toFixed(1)} s; reads idle ${Math.round(result.idle.rps)} req/s p50 ${result.idle.p50.toFixed(1)} p99 ${result.idle.p99.toFixed(1)} ms, while deleting ${Math.round(result.deleting.rps)} req/s p50 ${result.deleting.p50.toFixed(1)} p99 ${result.deleting.p99.toFixed(1)} ms (p99 ×${(result.deleting.p99 / result.idle.p99).toFixed(2)}, req/s ×${(result.deleting.rps / result.idle.rps).toFixed(2)})`,
    );
  } finally {
    await stopServer(child);
    await copy.database.close();
    if (engine === 'sqlite') rmSync(dataDir, { recursive: true, force: true });
    else {
      const schema = new URL(target.url).searchParams.get('options')?.split('=')[1];
      if (schema) {
        const client = new pg.Client({
          connectionString: o.postgresUrl,
        });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
        log('  (PostgreSQL: the data set was reduced by retention and is dropped; the next run generates it again)');
      }
    }
  }
}
