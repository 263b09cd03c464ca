import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';
import { cliCommand, startServerProcess } from '../helpers/process.js';
import { FUZZ_FAMILIES } from './fuzz-cases.js';
import { fuzzFamily, prepareTargets } from './fuzz-harness.js';

/**
 * Seeded hostile requests per API family against a server in its own process (`npm run fuzz --
 * --requests N` for long runs): no 5xx, no hung connection, the server stays ready, its peak
 * memory stays bounded, and nothing it logs is an error.
 */
const REQUESTS = Number(process.env.RECAP_TEST_FUZZ_REQUESTS ?? 2000);
/**
 * What the server may add to its resident memory once started, by design: two scrypt hashes at
 * once (32 MiB each, src/auth/crypto.ts; the Rocket.Chat family's wrong passwords), the read
 * cache's default 64 MiB, and 64 MiB of garbage not collected yet (the reports family sends
 * bodies of up to 2 MB, four at a time; measured: the reports family adds 35 MiB, a run in all
 * 110–160 MiB). Measured from the server's start, not as a total: a started server is 145–180 MiB
 * here, 43 of them the node binary's pages, and that moves with the machine and Node.
 */
const MAX_GROWTH = 192 * 1024 * 1024;

for (const engine of ENGINES) {
  describe(`hostile input [${engine}]`, () => {
    test(`${REQUESTS} seeded hostile requests per API family: no 5xx, no hang, ready after, RSS growth under 192 MiB`, async (t) => {
      const scratch = await scratchDatabase(engine);
      const server = await startServerProcess({ RECAP_DATABASE_URL: scratch.url, RECAP_DATA_DIR: scratch.dataDir });
      t.after(async () => {
        await server.stop();
        await scratch.drop();
      });
      const targets = await prepareTargets(server.url, scratch.dataDir);
      const started = server.rss();
      const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
      t.diagnostic(`server RSS after start ${mib(started)} (peak ${mib(server.peakRss())})`);
      for (const [i, family] of FUZZ_FAMILIES.entries()) {
        const figures = await fuzzFamily(server.url, family, targets, { seed: 1000 + i, count: REQUESTS });
        t.diagnostic(
          `${family}: ${figures.requests} requests, statuses ${JSON.stringify(figures.statuses)}, server peak RSS ${mib(server.peakRss())}`,
        );
        assert.deepEqual(
          figures.serverErrors.slice(0, 3),
          [],
          `${family}: ${figures.serverErrors.length} requests answered 5xx, hung or reset`,
        );
        assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      }
      const growth = server.peakRss() - started;
      t.diagnostic(
        `server peak RSS ${mib(server.peakRss())}, ${mib(growth)} over its start (${cliCommand().built ? 'built' : 'sources through tsx'})`,
      );
      if (cliCommand().built) assert.ok(growth < MAX_GROWTH, `peak RSS ${mib(growth)} over the server's start`);
      // Clients that give up half-way through a body are their own doing: logged at info, not error.
      for (const path of [`/upload/recording/${targets.uploadToken}`, '/api/v4/import']) {
        await new Promise<void>((resolve) => {
          const req = httpRequest(`${server.url}${path}`, {
            method: path.startsWith('/upload') ? 'PUT' : 'POST',
            headers: {
              authorization: `Bearer ${targets.authToken}`,
              'content-type': 'application/x-ndjson',
              'content-length': '100000',
            },
          });
          req.on('error', () => resolve());
          req.write('{"type":"report","channel_id":1}\n', () => setTimeout(() => (req.destroy(), resolve()), 200));
        });
      }
      for (let i = 0; i < 40 && !server.logs.some((entry) => entry.msg === 'client went away before the answer'); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        server.logs.some((entry) => entry.msg === 'client went away before the answer' && entry.level === 30),
        'an aborted request is logged at info',
      );
      const errors = server.logs.filter((entry) => Number(entry.level) >= 50);
      assert.deepEqual(errors.slice(0, 3), [], 'logged at error level');
    });
  });
}
