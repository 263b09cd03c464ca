/**
 * `npm run fuzz -- [--requests N] [--seed S] [--engine sqlite|postgres] [--family plugnmeet|rocketchat|reports]`: the fuzz test's hostile
 * requests, as many as asked, against a fresh server process. PostgreSQL uses
 * RECAP_TEST_POSTGRES_URL. Prints the status counts per API family; exits 1 on any 5xx, hang or
 * reset, or when the server's peak memory passes 300 MiB.
 */
import { parseArgs } from 'node:util';
import type { Engine } from '../src/db/connection.js';
import { scratchDatabase } from '../test/helpers/engines.js';
import { startServerProcess } from '../test/helpers/process.js';
import { FUZZ_FAMILIES } from '../test/hostile/fuzz-cases.js';
import { fuzzFamily, prepareTargets } from '../test/hostile/fuzz-harness.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    engine: { type: 'string', default: 'sqlite' },
    family: { type: 'string' },
  },
});
const requests = Number(values.requests);
const seed = Number(values.seed);
const scratch = await scratchDatabase(values.engine as Engine);
const server = await startServerProcess({
  RECAP_DATABASE_URL: scratch.url,
  RECAP_DATA_DIR: scratch.dataDir,
  ...(process.env.RECAP_READ_CACHE_MB ? { RECAP_READ_CACHE_MB: process.env.RECAP_READ_CACHE_MB } : {}),
});
let failed = false;
try {
  const targets = await prepareTargets(server.url, scratch.dataDir);
  console.log(`fuzz: ${requests} requests per family, seed ${seed}, ${values.engine}`);
  for (const [i, family] of FUZZ_FAMILIES.entries()) {
    if (values.family && values.family !== family) continue;
    const started = Date.now();
    const figures = await fuzzFamily(server.url, family, targets, { seed: seed + i, count: requests });
    const fives = Object.entries(figures.statuses)
      .filter(([status]) => status.startsWith('5'))
      .reduce((n, [, count]) => n + count, 0);
    console.log(
      `${family}: ${figures.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s, 5xx ${fives}, statuses ${JSON.stringify(figures.statuses)}`,
    );
    for (const error of figures.serverErrors.slice(0, 5))
      console.log('  ', error.status, error.request.method, error.request.path.slice(0, 200));
    if (figures.serverErrors.length > 0) failed = true;
  }
  const ready = (await fetch(`${server.url}/readyz`)).status;
  const peak = server.peakRss();
  for (const entry of server.logs.filter((e) => Number(e.level) >= 50).slice(0, 5))
    console.log('  error log:', JSON.stringify(entry).slice(0, 2000));
  console.log(
    `server: /readyz ${ready}, peak RSS ${Math.round(peak / 2 ** 20)} MiB, error log lines ${server.logs.filter((e) => Number(e.level) >= 50).length}`,
  );
  if (ready !== 200 || peak > 300 * 2 ** 20) failed = true;
} finally {
  await server.stop();
  await scratch.drop();
}
process.exit(failed ? 1 : 0);
