// npm run console:timing -- [--data-dir bench/.data/sqlite-1] [--database-url URL] [--password P]
//                           [--channel 1] [--start 2025-11-01] [--end 2026-10-31] [--tz UTC] [--runs 5]
//
// Times the console's channel dashboard in Debian's Chromium: from navigation start until every
// panel has its data and every chart is drawn, with the read cache off, `--runs` times (median
// printed). Defaults: the bench data set (`npm run bench` generates it under bench/.data), its hot
// channel, and the bench's year. Also prints the first page's JS and CSS size, gzipped.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_OPTIONS } from '../test/helpers/browser.js';
import { startServerProcess } from '../test/helpers/process.js';

const { values: args } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: 'bench/.data/sqlite-1' },
    'database-url': { type: 'string' },
    password: { type: 'string', default: 'bench-admin-password' },
    channel: { type: 'string', default: '1' },
    start: { type: 'string', default: '2025-11-01' },
    end: { type: 'string', default: '2026-10-31' },
    tz: { type: 'string', default: 'UTC' },
    runs: { type: 'string', default: '5' },
  },
});

const assets = join('dist/console/assets');
const gzipped = readdirSync(assets)
  .filter((f) => /\.(js|css)$/.test(f))
  .reduce((n, f) => n + gzipSync(readFileSync(join(assets, f))).length, 0);
console.log(`first page: ${(gzipped / 1024).toFixed(1)} KiB of JS and CSS, gzipped`);

const dataDir = args['data-dir'];
const server = await startServerProcess({
  RECAP_DATA_DIR: dataDir,
  RECAP_DATABASE_URL: args['database-url'] ?? `sqlite:${join(dataDir, 'recap.db')}`,
  RECAP_READ_CACHE_MB: '0',
  RECAP_ADMIN_PASSWORD: args.password,
});
const browser = await chromium.launch(CHROMIUM_OPTIONS);
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.url}/console/`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(args.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Channels' }).waitFor();
  const url = `${server.url}/console/reports/${args.channel}?start=${args.start}&end=${args.end}&tz=${encodeURIComponent(args.tz)}`;
  const times: number[] = [];
  for (let run = 0; run < Number(args.runs); run++) {
    await page.goto('about:blank');
    await page.goto(url);
    // Resolves with performance.now() (ms since navigation start) once the last panel is drawn.
    const done = await page.waitForFunction(
      () => {
        const document = (
          globalThis as unknown as {
            document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): unknown };
          }
        ).document;
        const loading = document.querySelectorAll('section.panel[data-state="loading"]').length;
        const charts = document.querySelectorAll('.chart[data-drawn]').length;
        return loading === 0 && charts >= 3 && document.querySelector('.tile-value') ? performance.now() : false;
      },
      undefined,
      { polling: 'raf', timeout: 60_000 },
    );
    const ms = Number(await done.jsonValue());
    times.push(ms);
    console.log(`run ${run + 1}: ${ms.toFixed(0)} ms`);
  }
  times.sort((a, b) => a - b);
  console.log(
    `median of ${times.length}: ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms (navigation start to the last panel drawn, read cache off)`,
  );
} finally {
  await browser.close();
  await server.stop();
}
