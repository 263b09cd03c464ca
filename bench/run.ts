// npm run bench -- [--scale 0.1] [--engine sqlite|postgres] [--database-url URL] [--duration 10]
//                  [--connections 50] [--latency-seconds 3] [--only <text>] [--keep] [--import-reports 200000]
//                  [--read-cache-mb 64] [--idle-only]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/schema.js';
import { closeSessions } from '../src/sessions/service.js';
import { issueToken } from '../src/auth/service.js';
import { LocalFileStorage } from '../src/storage/files.js';
import { loadConfig } from '../src/config/index.js';
import { prepareDatabase } from '../src/main.js';
import { DATASETS } from './datasets/index.js';
import { bulkLoad, type LoadResult } from './lib/bulk-load.js';
import { Random } from './lib/random.js';
import type { BenchContext, LoadRequest, LoadSummary, Scenario } from './lib/scenario.js';
import { ceiling, SCENARIOS } from './scenarios.js';
import { measureImport } from './import-throughput.js';
import { measureExport } from './export-throughput.js';
import { retentionUnderLoad } from './retention-throughput.js';
import { HOT_CHANNEL } from './datasets/reports.js';
import { hasTaskset, pinned, startServer, stopServer } from './lib/server.js';
import { describeLive, LIVE_HEADER, liveTargets, startLiveWriter } from './lib/live.js';
import { benchTarget } from './lib/targets.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    engine: { type: 'string', default: 'sqlite' },
    'database-url': { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'latency-seconds': { type: 'string', default: '3' },
    only: { type: 'string' },
    'import-reports': { type: 'string', default: '200000' },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string', default: '20261123' },
    'read-cache-mb': { type: 'string' },
    'idle-only': { type: 'boolean', default: false },
  },
});

const scale = Number(args.scale);
const engine = args.engine as 'sqlite' | 'postgres';
if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]');
if (engine !== 'sqlite' && engine !== 'postgres') throw new Error('--engine must be sqlite or postgres');
const duration = Number(args.duration);
const connections = Number(args.connections);
const latencySeconds = Number(args['latency-seconds']);
const live = !args['idle-only'];

/** The live columns of a scenario's line (blank when the bench runs idle only, or for the ceiling). */
function liveColumns(result: LoadSummary | undefined, alone: LoadSummary | undefined): string {
  if (!live) return '';
  const one = alone ? `${alone.p50.toFixed(2)} / ${alone.p99.toFixed(2)}` : '—';
  return ` ${(result ? Math.round(result.rps).toLocaleString('en') : '—').padStart(10)} ${(result ? result.p99.toFixed(1) : '—').padStart(9)} ${one.padStart(22)}`;
}
const API = { key: 'bench-key', secret: 'bench-secret-0123456789abcdef' };
const NOW = Date.UTC(2026, 10, 1);
function log(line = '') {
  process.stdout.write(`${line}\n`);
}

/** The bench's own database: a file under bench/.data, or the `recap_bench` schema of a PostgreSQL database. */
async function benchDatabase(): Promise<{ url: string; dataDir: string; fresh: boolean }> {
  const base = args['database-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const { url, dataDir, schema } = benchTarget(engine, scale, base);
  if (!schema) {
    const fresh = !(args.keep && existsSync(url.slice('sqlite:'.length)));
    if (fresh) rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    return { url, dataDir, fresh };
  }
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  const exists =
    (await client.query('select 1 from information_schema.schemata where schema_name = $1', [schema])).rowCount === 1;
  const fresh = !(args.keep && exists);
  if (fresh) {
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.query(`create schema ${schema}`);
  }
  await client.end();
  mkdirSync(dataDir, { recursive: true });
  return { url, dataDir, fresh };
}

async function generate(url: string, db: Kysely<Database>): Promise<void> {
  const random = new Random(Number(args.seed));
  const loads = DATASETS.flatMap((dataset) => dataset.loads({ scale, random, now: NOW }));
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
  let rows = 0;
  let seconds = 0;
  for (const r of results) {
    rows += r.rows;
    seconds += r.seconds;
    log(
      `  ${r.table.padEnd(24)} ${r.rows.toLocaleString('en').padStart(11)} rows  ${r.seconds.toFixed(2).padStart(7)} s  ${Math.round(
        r.rows / Math.max(r.seconds, 1e-9),
      )
        .toLocaleString('en')
        .padStart(10)} rows/s`,
    );
  }
  log(
    `  ${'total'.padEnd(24)} ${rows.toLocaleString('en').padStart(11)} rows  ${seconds.toFixed(2).padStart(7)} s  ${Math.round(
      rows / Math.max(seconds, 1e-9),
    )
      .toLocaleString('en')
      .padStart(10)} rows/s`,
  );
  for (const dataset of DATASETS) {
    if (!dataset.afterLoad) continue;
    const started = performance.now();
    await dataset.afterLoad(db);
    log(
      `  ${`${dataset.name}: derived data`.padEnd(24)} ${((performance.now() - started) / 1000).toFixed(2).padStart(25)} s`,
    );
  }
  if (engine === 'postgres') {
    // What autovacuum does on a production server (it may be off on a test one): statistics for the
    // planner, and the visibility map that lets index-only scans skip the heap.
    const started = performance.now();
    await sql`vacuum analyze`.execute(db);
    log(`  ${'vacuum analyze'.padEnd(24)} ${((performance.now() - started) / 1000).toFixed(2).padStart(25)} s`);
  }
}

function runLoad(baseUrl: string, requests: unknown[], seconds: number, clients = connections): Promise<LoadSummary> {
  // The job goes through a file: bodies of 500 events exceed the argument size limit.
  const jobFile = resolve('bench/.data/load-job.json');
  writeFileSync(jobFile, JSON.stringify({ url: baseUrl, connections: clients, duration: seconds, requests }));
  const [command, argv] = pinned(1, process.execPath, ['--import', 'tsx', 'bench/lib/load-worker.ts', jobFile]);
  return new Promise((resolveLoad, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (code) =>
      code === 0 ? resolveLoad(JSON.parse(out) as LoadSummary) : reject(new Error(`load worker exited ${code}`)),
    );
  });
}

/**
 * Waits until the server answers /readyz within 5 ms twice running (at most 30 s): requests of a
 * slow scenario that a finished load left in flight would otherwise land in the next run (the
 * ceiling measured 0 req/s behind 60 ms requests). They interleave with /readyz at every await,
 * so its latency, not its answer, tells when they are done.
 */
async function untilIdle(baseUrl: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (let quick = 0; quick < 2 && performance.now() < deadline;) {
    const started = performance.now();
    await fetch(`${baseUrl}/readyz`);
    quick = performance.now() - started < 5 ? quick + 1 : 0;
  }
}

/** The server's resident memory in MiB (VmRSS now, VmHWM peak), from /proc where there is one. */
function serverMemory(pid: number | undefined, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): string {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    return (Number(line?.replace(/\D+/g, '')) / 1024).toFixed(0);
  } catch {
    return '?';
  }
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

async function main() {
  // The server's read cache: its default unless given; 0 measures every request's queries.
  const serverEnv: Record<string, string> =
    args['read-cache-mb'] === undefined ? {} : { RECAP_READ_CACHE_MB: args['read-cache-mb'] };
  const cacheNote = `, read cache ${args['read-cache-mb'] === undefined ? 'at its default size' : `${args['read-cache-mb']} MiB`}`;
  log(
    `Recap bench: engine ${engine}, scale ${scale}, ${connections} connections, ${duration} s per scenario${cacheNote}${hasTaskset ? ', server on core 0, load on core 1' : ' (no taskset: cores not pinned)'}`,
  );
  const target = await benchDatabase();
  const config = loadConfig({
    RECAP_DATABASE_URL: target.url,
    RECAP_DATA_DIR: target.dataDir,
    RECAP_LOG_LEVEL: 'silent',
    RECAP_API_KEY: API.key,
    RECAP_API_SECRET: API.secret,
    RECAP_ADMIN_PASSWORD: 'bench-admin-password',
  });
  const { database } = await prepareDatabase(config);
  if (engine === 'postgres') log(await postgresSettings(database.db, config.dbPoolSize));
  if (target.fresh) {
    log('Generating the data set (contract §6)…');
    await generate(target.url, database.db);
  } else {
    log('Reusing the generated data set (--keep).');
  }
  // Sessions the room-events scenario of an earlier run left open would be closed by the first
  // server's sweeper while it is being measured: close them now, outside any measurement.
  const leftOpen = await closeSessions(database.db, new LocalFileStorage(join(target.dataDir, 'files')), 0);
  if (leftOpen > 0) log(`Closed ${leftOpen} session(s) an earlier run left open.`);
  const adminToken = (await issueToken(database.db, 1, 86_400_000, 'cli')).token;
  const context: BenchContext = {
    scale,
    engine,
    db: database.db,
    apiKey: API.key,
    apiSecret: API.secret,
    adminToken,
    now: NOW,
  };

  const liveJob = {
    ...(await liveTargets(database.db, HOT_CHANNEL)),
    apiKey: API.key,
    apiSecret: API.secret,
    adminToken,
  };
  const scenarios: Scenario[] = [ceiling, ...SCENARIOS.filter((s) => !args.only || s.name.includes(args.only))];
  let peakRss = 0;
  // A server of its own per scenario: requests a saturating load leaves behind (clients that gave up)
  // keep running, on the event loop or in the pool's queue, and would land in the next scenario.
  const withServer = async <T>(
    fn: (baseUrl: string, rss: () => string, pid: number | undefined) => Promise<T>,
  ): Promise<T> => {
    const { child, baseUrl } = await startServer(target.url, target.dataDir, serverEnv);
    try {
      return await fn(baseUrl, () => serverMemory(child.pid, 'VmRSS'), child.pid);
    } finally {
      peakRss = Math.max(peakRss, Number(serverMemory(child.pid, 'VmHWM')) || 0);
      await stopServer(child);
    }
  };
  try {
    log();
    // req/s, p50 and p99 under `connections` clients; then one client alone (its p50 and p99: the
    // latency a single dashboard sees, with nothing queued in front of it).
    // `vs ceiling`: against the ceiling measured on the same server just before the scenario (this
    // VM's speed drifts by up to 2× within minutes; a ceiling from the start of the run would skew it).
    // `live`: the same loads again while the background writer streams (LIVE_HEADER); idle and live
    // come from the same server, back to back.
    if (live) log(LIVE_HEADER);
    log(
      `${'scenario'.padEnd(48)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'vs ceiling'.padStart(11)} ${'ceiling'.padStart(8)} ${'1 client p50/p99 ms'.padStart(20)}${live ? ` ${'live req/s'.padStart(10)} ${'live p99'.padStart(9)} ${'live 1 client p50/p99'.padStart(22)}` : ''} ${'RSS MiB'.padStart(8)}  reference`,
    );
    const ceilingRequests = await ceiling.requests(context);
    const ceilingSeconds = Math.max(2, Math.round(duration / 2));
    for (const scenario of scenarios) {
      const requests: LoadRequest[] = await scenario.requests(context);
      const { alone, result, rss, near, liveAlone, liveResult, written } = await withServer(async (baseUrl, rss) => {
        // One client first (after its own warm-up), then the loaded runs.
        if (latencySeconds > 0) await runLoad(baseUrl, requests, 1, 1);
        const alone = latencySeconds > 0 ? await runLoad(baseUrl, requests, latencySeconds, 1) : undefined;
        await runLoad(baseUrl, requests, 2); // warm-up
        await untilIdle(baseUrl);
        const near = scenario === ceiling ? undefined : await runLoad(baseUrl, ceilingRequests, ceilingSeconds);
        const result = await runLoad(baseUrl, requests, duration);
        if (!live || scenario === ceiling) return { alone, result, rss: rss(), near };
        const writer = startLiveWriter({ ...liveJob, url: baseUrl, now: NOW });
        await new Promise((r) => setTimeout(r, 1000));
        const liveAlone = latencySeconds > 0 ? await runLoad(baseUrl, requests, latencySeconds, 1) : undefined;
        const liveResult = await runLoad(baseUrl, requests, duration);
        const written = await writer.stop();
        return { alone, result, rss: rss(), near, liveAlone, liveResult, written };
      });
      const ceilingRps = near?.rps ?? result.rps;
      const aloneText = alone ? `${alone.p50.toFixed(2)} / ${alone.p99.toFixed(2)}` : '—';
      let reference = '';
      if (scenario.reference) {
        const ms = await scenario.reference.run(context);
        reference = `${scenario.reference.label}: ${ms.toFixed(2)} ms/call`;
      }
      const errors =
        (result.errors > 0 ? `  (${result.errors} errors of ${result.total})` : '') +
        (alone && alone.errors > 0 ? `  (1 client: ${alone.errors} errors of ${alone.total})` : '') +
        (liveResult && liveResult.errors > 0 ? `  (live: ${liveResult.errors} errors of ${liveResult.total})` : '');
      log(
        `${scenario.name.padEnd(48)} ${Math.round(result.rps).toLocaleString('en').padStart(9)} ${result.p50.toFixed(1).padStart(8)} ${result.p99.toFixed(1).padStart(8)} ${(ceilingRps > 0 ? `${((100 * result.rps) / ceilingRps).toFixed(1)}%` : '—').padStart(11)} ${Math.round(ceilingRps).toLocaleString('en').padStart(8)} ${aloneText.padStart(20)}${liveColumns(liveResult, liveAlone)} ${rss.padStart(8)}  ${reference}${errors}${written ? `  [writer: ${describeLive(written)}]` : ''}`,
      );
    }
    if (!args.only || 'import'.includes(args.only)) {
      const count = Math.max(1000, Math.round(Number(args['import-reports']) * scale));
      await withServer(async (baseUrl, rss) => {
        const result = await measureImport(baseUrl, adminToken, resolve('bench/.data/import.ndjson'), count, NOW);
        log(
          `${`import: ${count.toLocaleString('en')} reports (NDJSON, HTTP)`.padEnd(48)} ${Math.round(
            result.reports / result.seconds,
          )
            .toLocaleString('en')
            .padStart(
              9,
            )} reports/s  ${result.seconds.toFixed(2)} s, ${result.megabytes.toFixed(1)} MiB, ${rss()} MiB RSS`,
        );
      });
    }
    if (!args.only || 'export'.includes(args.only)) {
      await withServer(async (baseUrl, _rss, pid) => {
        const window = { channelId: HOT_CHANNEL, start: NOW - 365 * 86_400_000, end: NOW };
        // Anonymous memory: the heap and SQLite's page cache, without the database file's mapped pages.
        const result = await measureExport(
          baseUrl,
          adminToken,
          window,
          () => Number(serverMemory(pid, 'RssAnon')) || 0,
        );
        log(
          `${'export: hot channel-year as CSV (HTTP)'.padEnd(48)} ${Math.round(result.rows / result.seconds)
            .toLocaleString('en')
            .padStart(
              9,
            )} rows/s     ${result.rows.toLocaleString('en')} rows in ${result.seconds.toFixed(2)} s, ${result.megabytes.toFixed(1)} MiB; server anonymous RSS ${result.rssBefore} MiB before, ${result.rssPeak} MiB at most while streaming`,
        );
      });
    }
    if (!args.only || 'retention'.includes(args.only))
      await retentionUnderLoad({
        engine,
        target,
        benchDb: database.db,
        adminToken,
        now: NOW,
        seconds: duration,
        postgresUrl: args['database-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        runLoad: (baseUrl, requests, seconds) => runLoad(baseUrl, requests, seconds),
        log,
      });
    log(`server peak RSS (largest of the scenarios' servers): ${peakRss} MiB`);
  } finally {
    await database.close();
  }
}

await main();
