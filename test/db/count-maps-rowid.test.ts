import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { migrateTo } from '../../src/db/migrate.js';
import { encode as encodeInt32Pairs } from '../../src/db/migrations/0024_report_count_maps.js';
import { scratchConnection } from '../helpers/engines.js';

const FILES = { storageRoot: mkdtempSync(join(tmpdir(), 'recap-maps-rowid-')) };
after(() => rmSync(FILES.storageRoot, { recursive: true, force: true }));

test('SQLite: count maps move to an ordinary table keyed by an index, every map kept (0029)', async (t) => {
  const database = await scratchConnection(t, 'sqlite');
  const { db } = database;
  await migrateTo(db, '0028_covering_count_keys', FILES);
  // Maps of 500 users (~4 KB: beyond a 4 KB page's local payload) and small ones.
  const big = encodeInt32Pairs(new Map(Array.from({ length: 500 }, (_, i) => [i + 2, 1 + (i % 7)])));
  const small = encodeInt32Pairs(new Map([[5, 3]]));
  const rows = Array.from({ length: 40 }, (_, i) => ({
    channel_id: 1 + (i % 3),
    kind: i % 2,
    level: 2,
    bucket: 20_000 + i,
    counts: i % 4 === 0 ? small : big,
  }));
  await db.insertInto('report_count_maps').values(rows).execute();
  const before = await db
    .selectFrom('report_count_maps')
    .selectAll()
    .orderBy(['channel_id', 'kind', 'level', 'bucket'])
    .execute();
  await migrateTo(db, '0029_count_maps_rowid', FILES);
  const after = await db
    .selectFrom('report_count_maps')
    .selectAll()
    .orderBy(['channel_id', 'kind', 'level', 'bucket'])
    .execute();
  assert.deepEqual(after, before);
  const { rows: schema } = await sql<{
    sql: string;
  }>`select sql from sqlite_master where name = 'report_count_maps'`.execute(db);
  assert.doesNotMatch(schema[0]!.sql, /without rowid/i);
  // The key stays unique (the write path upserts on it) and serves the range reads.
  await assert.rejects(db.insertInto('report_count_maps').values(rows[1]!).execute(), /UNIQUE/);
  const { rows: plan } = await sql<{ detail: string }>`explain query plan select counts from report_count_maps
    where channel_id = 1 and kind = 1 and level = 2 and bucket >= 20000 and bucket < 20010`.execute(db);
  assert.match(plan.map((p) => p.detail).join('\n'), /USING INDEX sqlite_autoindex_report_count_maps/);
});
