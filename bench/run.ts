// npm run bench -- [--scale 0.1] [--engine sqlite|postgres|both] [--database-url URL] [--duration 10]
//                  [--connections 50] [--latency-seconds 3] [--only <text>] [--keep] [--import-reports 200000]
//                  [--read-cache-mb 64] [--idle-only]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HOT_CHANNEL } from './datasets/reports.js';
import { measureExport } from './export-throughput.js';
import { measureImport } from './import-throughput.js';
import { BENCH_NOW, openBenchEngine, type BenchEngine, type EngineName } from './lib/bench-engine.js';
import { LIVE_HEADER, startLiveWriter } from './lib/live.js';
import { processMemory, runLoad, runOneClient, untilIdle } from './lib/load.js';
import type { LoadTarget } from './lib/load-worker.js';
import { engineRatios, headerLine, scenarioLine, type Measured } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { hasTaskset, startServer, stopServer } from './lib/server.js';
import { retentionUnderLoad } from './retention-throughput.js';
import { ceiling, SCENARIOS } from './scenarios.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    engine: { type: 'string', default: 'sqlite' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
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
if (!(scale > 0 && scale <= 1)) throw new Error('--scale must be in (0, 1]');
if (!['sqlite', 'postgres', 'both'].includes(args.engine)) throw new Error('--engine must be sqlite, postgres or both');
const engineNames: EngineName[] = args.engine === 'both' ? ['sqlite', 'postgres'] : [args.engine as EngineName];
const duration = Number(args.duration);
const connections = Number(args.connections);
const latencySeconds = Number(args['latency-seconds']);
const live = !args['idle-only'];
const wanted = (name: string) => !args.only || name.includes(args.only);
function log(line = '') {
  process.stdout.write(`${line}\n`);
}

// The server's read cache: its default unless given; 0 measures every request's queries.
const serverEnv: Record<string, string> =
  args['read-cache-mb'] === undefined ? {} : { RECAP_READ_CACHE_MB: args['read-cache-mb'] };
let peakRss = 0;

/**
 * A server of its own per engine and scenario: requests a saturating load leaves behind (clients
 * that gave up) keep running, on the event loop or in the pool's queue, and would land in the next
 * scenario. The servers of one scenario run side by side, all on the server's core.
 */
async function withServers<T>(
  engines: BenchEngine[],
  fn: (servers: { baseUrl: string; pid: number | undefined }[]) => Promise<T>,
): Promise<T> {
  const started: Awaited<ReturnType<typeof startServer>>[] = [];
  try {
    for (const e of engines) started.push(await startServer(e.target.url, e.target.dataDir, serverEnv));
    return await fn(started.map((s) => ({ baseUrl: s.baseUrl, pid: s.child.pid })));
  } finally {
    for (const s of started) {
      peakRss = Math.max(peakRss, Number(processMemory(s.child.pid, 'VmHWM')) || 0);
      await stopServer(s.child);
    }
  }
}

/**
 * One scenario on every engine: one client alone (paired across the engines' servers, request by
 * request), then per engine the loaded run after a warm-up and the ceiling on the same server;
 * then the same again while a background writer per server streams (LIVE_HEADER), all writers at
 * once, so every engine's live figure is taken under the same traffic.
 */
async function measureScenario(scenario: Scenario, engines: BenchEngine[]): Promise<Measured[]> {
  const requests = await Promise.all(engines.map((e) => scenario.requests(e.context)));
  const ceilingRequests = await Promise.all(engines.map((e) => ceiling.requests(e.context)));
  const ceilingSeconds = Math.max(2, Math.round(duration / 2));
  return withServers(engines, async (servers) => {
    const targets: LoadTarget[] = servers.map((s, i) => ({ url: s.baseUrl, requests: requests[i]! }));
    const oneClient = async () => (latencySeconds > 0 ? await runOneClient(targets, latencySeconds) : undefined);
    if (latencySeconds > 0) await runOneClient(targets, 1); // warm-up
    const alone = await oneClient();
    const measured: Measured[] = [];
    for (const [i, target] of targets.entries()) {
      await runLoad(target, 2, connections); // warm-up
      await untilIdle(target.url);
      const near =
        scenario === ceiling
          ? undefined
          : await runLoad({ url: target.url, requests: ceilingRequests[i]! }, ceilingSeconds, connections);
      const result = await runLoad(target, duration, connections);
      measured.push({ engine: engines[i]!.engine, result, near, alone: alone?.[i], rss: '' });
    }
    if (live && scenario !== ceiling) {
      const writers = servers.map((s, i) =>
        startLiveWriter({ ...engines[i]!.liveJob, url: s.baseUrl, now: BENCH_NOW }),
      );
      await new Promise((r) => setTimeout(r, 1000));
      const liveAlone = await oneClient();
      for (const [i, target] of targets.entries()) {
        measured[i]!.liveAlone = liveAlone?.[i];
        measured[i]!.liveResult = await runLoad(target, duration, connections);
      }
      const written = await Promise.all(writers.map((w) => w.stop()));
      for (const [i, m] of measured.entries()) m.written = written[i];
    }
    for (const [i, m] of measured.entries()) m.rss = processMemory(servers[i]!.pid, 'VmRSS');
    return measured;
  });
}

/** Import, export and retention on one engine; each line starts with `prefix` (the engine column). */
async function throughputs(e: BenchEngine, prefix: string): Promise<void> {
  const line = (text: string) => log(`${prefix}${text}`);
  const adminToken = e.context.adminToken;
  if (wanted('import')) {
    const count = Math.max(1000, Math.round(Number(args['import-reports']) * scale));
    await withServers([e], async ([server]) => {
      const result = await measureImport(
        server!.baseUrl,
        adminToken,
        resolve('bench/.data/import.ndjson'),
        count,
        BENCH_NOW,
      );
      line(
        `${`import: ${count.toLocaleString('en')} reports (NDJSON, HTTP)`.padEnd(48)} ${Math.round(
          result.reports / result.seconds,
        )
          .toLocaleString('en')
          .padStart(
            9,
          )} reports/s  ${result.seconds.toFixed(2)} s, ${result.megabytes.toFixed(1)} MiB, ${processMemory(server!.pid, 'VmRSS')} MiB RSS`,
      );
    });
  }
  if (wanted('export')) {
    await withServers([e], async ([server]) => {
      const window = { channelId: HOT_CHANNEL, start: BENCH_NOW - 365 * 86_400_000, end: BENCH_NOW };
      // Anonymous memory: the heap and SQLite's page cache, without the database file's mapped pages.
      const result = await measureExport(
        server!.baseUrl,
        adminToken,
        window,
        () => Number(processMemory(server!.pid, 'RssAnon')) || 0,
      );
      line(
        `${'export: hot channel-year as CSV (HTTP)'.padEnd(48)} ${Math.round(result.rows / result.seconds)
          .toLocaleString('en')
          .padStart(
            9,
          )} rows/s     ${result.rows.toLocaleString('en')} rows in ${result.seconds.toFixed(2)} s, ${result.megabytes.toFixed(1)} MiB; server anonymous RSS ${result.rssBefore} MiB before, ${result.rssPeak} MiB at most while streaming`,
      );
    });
  }
  // On PostgreSQL retention deletes from the data set itself and then drops it: not what --keep asks.
  if (wanted('retention') && e.engine === 'postgres' && args.keep)
    line('retention: skipped with --keep (on PostgreSQL it runs on the data set itself and drops it)');
  else if (wanted('retention'))
    await retentionUnderLoad({
      engine: e.engine,
      target: e.target,
      benchDb: e.db,
      adminToken,
      now: BENCH_NOW,
      seconds: duration,
      postgresUrl: args['database-url'],
      runLoad: (url, requests, seconds) => runLoad({ url, requests }, seconds, connections),
      log: line,
    });
}

async function main() {
  const cacheNote = `, read cache ${args['read-cache-mb'] === undefined ? 'at its default size' : `${args['read-cache-mb']} MiB`}`;
  const pairing = engineNames.length > 1 ? ' (one-client runs paired: each request to SQLite, then to PostgreSQL)' : '';
  log(
    `Recap bench: engine ${engineNames.join(' and ')}${pairing}, scale ${scale}, ${connections} connections, ${duration} s per scenario${cacheNote}${hasTaskset ? ', servers on core 0, load on core 1' : ' (no taskset: cores not pinned)'}`,
  );
  const engines: BenchEngine[] = [];
  const options = {
    scale,
    keep: args.keep,
    seed: Number(args.seed),
    postgresBase: args['database-url'],
    log,
  };
  try {
    for (const name of engineNames) engines.push(await openBenchEngine(name, options));
    log();
    // req/s, p50 and p99 under `connections` clients; then one client alone (its p50 and p99: the
    // latency a single dashboard sees, with nothing queued in front of it).
    // `vs ceiling`: against the ceiling measured on the same server just before the scenario (this
    // VM's speed drifts by up to 2× within minutes; a ceiling from the start of the run would skew it).
    // `live`: the same loads again while the background writer streams (LIVE_HEADER); idle and live
    // come from the same server, back to back.
    if (live) log(`${LIVE_HEADER}${engines.length > 1 ? ' (one writer per server, all at once)' : ''}`);
    log(headerLine(engines.length, live));
    const compared: { name: string; sqlite: Measured; postgres: Measured }[] = [];
    for (const scenario of [ceiling, ...SCENARIOS.filter((s) => wanted(s.name))]) {
      const measured = await measureScenario(scenario, engines);
      for (const [i, m] of measured.entries()) {
        const reference = scenario.reference;
        if (reference)
          m.reference = `${reference.label}: ${(await reference.run(engines[i]!.context)).toFixed(2)} ms/call`;
        log(scenarioLine(scenario.name, m, engines.length, live));
      }
      const [sqlite, postgres] = measured;
      if (engines.length > 1) compared.push({ name: scenario.name, sqlite: sqlite!, postgres: postgres! });
    }
    for (const e of engines) await throughputs(e, engines.length > 1 ? e.engine.padEnd(9) : '');
    if (compared.length > 0) for (const line of engineRatios(compared, live)) log(line);
    log(`server peak RSS (largest of the scenarios' servers): ${peakRss} MiB`);
  } finally {
    for (const e of engines) await e.close();
  }
}

await main();
