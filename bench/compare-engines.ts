// npm run bench:engines -- [--scale 1] [--pairs 600] [--warmup 200] [--only <text>] [--idle-only]
//                         [--database-url URL]
//
// PostgreSQL against SQLite, one request at a time, in one run: a server on each engine's data set
// (both generated before by `npm run bench -- --keep`), the same request sent to one then the other,
// in turn. Every pair meets the machine in the same state, so the ratio of the two p50s holds
// where figures from two separate runs drift (this VM's speed moves by up to 2× within minutes).
// Live: each server gets its own background writer (bench/lib/live.ts), both running at once.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { issueToken } from '../src/auth/service.js';
import { loadConfig } from '../src/config/index.js';
import { prepareDatabase } from '../src/main.js';
import { closeSessions } from '../src/sessions/service.js';
import { LocalFileStorage } from '../src/storage/files.js';
import { HOT_CHANNEL } from './datasets/reports.js';
import { LIVE_HEADER, liveTargets, startLiveWriter } from './lib/live.js';
import type { BenchContext, LoadRequest } from './lib/scenario.js';
import { sequentialClient } from './lib/http-client.js';
import { hasTaskset, startServer, stopServer } from './lib/server.js';
import { benchTarget } from './lib/targets.js';
import { SCENARIOS } from './scenarios.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    pairs: { type: 'string', default: '600' },
    warmup: { type: 'string', default: '200' },
    only: { type: 'string' },
    'idle-only': { type: 'boolean', default: false },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const scale = Number(args.scale);
const pairs = Number(args.pairs);
const warmup = Number(args.warmup);
const API = { key: 'bench-key', secret: 'bench-secret-0123456789abcdef' };
const NOW = Date.UTC(2026, 10, 1);
const ENGINES = ['sqlite', 'postgres'] as const;
type Engine = (typeof ENGINES)[number];

interface Side {
  engine: Engine;
  context: BenchContext;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

async function openSide(engine: Engine): Promise<Side> {
  const { url, dataDir } = benchTarget(engine, scale, args['database-url']);
  if (engine === 'sqlite' && !existsSync(url.slice('sqlite:'.length)))
    throw new Error(`no SQLite data set at scale ${scale}: run npm run bench -- --scale ${scale} --keep first`);
  const config = loadConfig({
    RECAP_DATABASE_URL: url,
    RECAP_DATA_DIR: dataDir,
    RECAP_LOG_LEVEL: 'silent',
    RECAP_API_KEY: API.key,
    RECAP_API_SECRET: API.secret,
    RECAP_ADMIN_PASSWORD: 'bench-admin-password',
  });
  const { database } = await prepareDatabase(config);
  const reports = await database.db.selectFrom('reports').select('id').limit(1).execute();
  if (reports.length === 0)
    throw new Error(`no ${engine} data set at scale ${scale}: run npm run bench -- --engine ${engine} --keep first`);
  await closeSessions(database.db, new LocalFileStorage(join(dataDir, 'files')), 0);
  const adminToken = (await issueToken(database.db, 1, 86_400_000, 'cli')).token;
  const context = { scale, engine, db: database.db, apiKey: API.key, apiSecret: API.secret, adminToken, now: NOW };
  return { engine, context, url, dataDir, close: () => database.close() };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** p50 per side over `pairs` alternating requests (after `warmup` pairs), the first side first. */
async function measure(bases: string[], requests: LoadRequest[][]): Promise<number[]> {
  const clients = bases.map(sequentialClient);
  const times = bases.map((): number[] => []);
  try {
    for (let i = 0; i < warmup + pairs; i++) {
      for (const [side, client] of clients.entries()) {
        const list = requests[side]!;
        const request = list[i % list.length]!;
        const started = performance.now();
        const status = await client.send(request);
        if (status !== 200) throw new Error(`${status} from ${request.method} ${request.path}`);
        if (i >= warmup) times[side]!.push(performance.now() - started);
      }
    }
  } finally {
    for (const client of clients) client.close();
  }
  return times.map(median);
}

async function main() {
  // The client on core 1, the servers on core 0 (as npm run bench).
  if (hasTaskset) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const sides = await Promise.all(ENGINES.map(openSide));
  const live = !args['idle-only'];
  console.log(
    `Recap engines compared: scale ${scale}, one request at a time alternating SQLite and PostgreSQL, ${pairs} pairs after ${warmup} warm-up pairs per scenario, read cache off${hasTaskset ? ', servers on core 0, client on core 1' : ''}`,
  );
  if (live) console.log(`${LIVE_HEADER} (one writer per server, both at once)`);
  console.log(
    `${'scenario'.padEnd(48)} ${'SQLite p50'.padStart(10)} ${'PG p50'.padStart(8)} ${'PG/SQLite'.padStart(9)}${live ? ` ${'live SQLite'.padStart(11)} ${'live PG'.padStart(8)} ${'PG/SQLite'.padStart(9)}` : ''}`,
  );
  try {
    for (const scenario of SCENARIOS.filter((s) => !args.only || s.name.includes(args.only))) {
      const requests = await Promise.all(sides.map((side) => scenario.requests(side.context)));
      const servers = [];
      for (const side of sides) servers.push(await startServer(side.url, side.dataDir, { RECAP_READ_CACHE_MB: '0' }));
      try {
        const bases = servers.map((s) => s.baseUrl);
        const [sqlite, postgres] = await measure(bases, requests);
        let liveColumns = '';
        if (live) {
          const writers = await Promise.all(
            sides.map(async (side, i) =>
              startLiveWriter({
                ...(await liveTargets(side.context.db, HOT_CHANNEL)),
                apiKey: API.key,
                apiSecret: API.secret,
                adminToken: side.context.adminToken,
                url: bases[i]!,
                now: NOW,
              }),
            ),
          );
          await new Promise((r) => setTimeout(r, 1000));
          const [liveSqlite, livePostgres] = await measure(bases, requests);
          await Promise.all(writers.map((w) => w.stop()));
          liveColumns = ` ${liveSqlite!.toFixed(2).padStart(11)} ${livePostgres!.toFixed(2).padStart(8)} ${(livePostgres! / liveSqlite!).toFixed(2).padStart(9)}`;
        }
        console.log(
          `${scenario.name.padEnd(48)} ${sqlite!.toFixed(2).padStart(10)} ${postgres!.toFixed(2).padStart(8)} ${(postgres! / sqlite!).toFixed(2).padStart(9)}${liveColumns}`,
        );
      } finally {
        await Promise.all(servers.map((s) => stopServer(s.child)));
      }
    }
  } finally {
    await Promise.all(sides.map((side) => side.close()));
  }
}

await main();
