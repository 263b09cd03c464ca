import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { encode as encodeInt32Pairs } from '../../src/db/migrations/0024_report_count_maps.js';
import { addCountMap, encodeCountMap } from '../../src/reports/counts/map-codec.js';
import { ENGINES, scratchConnection } from '../helpers/engines.js';

const FILES = { storageRoot: mkdtempSync(join(tmpdir(), 'recap-maps-varint-')) };
after(() => rmSync(FILES.storageRoot, { recursive: true, force: true }));

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Maps as the count tables hold them, and the ones no real channel has: int32 extremes. */
function sampleMaps(): Map<number, number>[] {
  const users = new Map(Array.from({ length: 500 }, (_, i) => [2 + 20 * i, 1 + (i % 60)]));
  const extremes = new Map([
    [INT32_MIN, INT32_MAX],
    [-1, INT32_MIN],
    [0, 1],
    [63, 64],
    [64, -65],
    [INT32_MAX, 300_000],
  ]);
  const small = Array.from({ length: 6_000 }, (_, i) => new Map([[i % 168, 1 + (i % 5)]]));
  return [users, extremes, ...small];
}

for (const engine of ENGINES) {
  test(`count maps are rewritten as varints with every count kept, in batches (0030) [${engine}]`, async (t) => {
    const database = await scratchConnection(t, engine);
    const { db } = database;
    await migrateTo(db, '0029_count_maps_rowid', FILES);
    const maps = sampleMaps();
    const rows = maps.map((counts, i) => ({
      channel_id: 1 + (i % 7),
      kind: i % 4,
      level: 2,
      bucket: 20_000 + i,
      counts: encodeInt32Pairs(counts),
    }));
    for (let start = 0; start < rows.length; start += 500)
      await db
        .insertInto('report_count_maps')
        .values(rows.slice(start, start + 500))
        .execute();
    await migrateToLatest(db, FILES);
    const stored = await db.selectFrom('report_count_maps').selectAll().orderBy('bucket').execute();
    assert.equal(stored.length, maps.length);
    stored.forEach((row, i) => {
      assert.equal(Number(row.bucket), 20_000 + i);
      const decoded = new Map<number, number>();
      addCountMap(decoded, row.counts);
      assert.deepEqual(decoded, maps[i], `map ${i}`);
      // Byte for byte what a write stores now.
      assert.deepEqual(Buffer.from(row.counts), encodeCountMap(maps[i]!), `map ${i}`);
    });
    // The 500 users' 32-day map: two bytes a pair instead of eight.
    assert.equal(stored[0]!.counts.length, 1_000);
  });
}
