import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import { migrateToLatest } from '../../src/db/migrate.js';
import { ENGINES, scratchConnection } from '../helpers/engines.js';

const FILES = { storageRoot: mkdtempSync(join(tmpdir(), 'recap-covering-')) };
after(() => rmSync(FILES.storageRoot, { recursive: true, force: true }));

test(
  'PostgreSQL: a channel-year of read-day cells comes from the primary key alone (0028)',
  { skip: !ENGINES.includes('postgres') && 'RECAP_TEST_POSTGRES_URL is not set' },
  async (t) => {
    const database = await scratchConnection(t, 'postgres');
    const { db } = database;
    await migrateToLatest(db, FILES);
    for (const table of ['report_counts', 'report_state_counts', 'report_user_counts', 'report_option_counts']) {
      const { rows } = await sql<{ included: string }>`
        select a.attname as included from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[i.indnkeyatts]
        where i.indexrelid = ${`${table}_pkey`}::regclass and i.indnatts = i.indnkeyatts + 1`.execute(db);
      assert.deepEqual(rows, [{ included: 'total' }], table);
    }
    // Cells of 40 channels over a year, written day after day as they arrive: one channel's rows
    // are spread over the heap, and only the index keeps them together.
    await sql`insert into report_read_days (channel_id, kind, day, prev_day, n)
      select c, k, d, d - 1 - (c % 3), 1 + c from generate_series(20000, 20364) d, generate_series(1, 40) c, generate_series(0, 2) k`.execute(
      db,
    );
    await sql`vacuum analyze report_read_days`.execute(db);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain
      select kind, sum(n) from report_read_days where channel_id = 7 and kind in (0, 1, 2) and day >= 20000 and day < 20365 group by kind`.execute(
      db,
    );
    assert.match(plan.rows.map((r) => r['QUERY PLAN']).join('\n'), /Index Only Scan using report_read_days_pkey/);
    const sums = await sql<{ n: number }>`select sum(n) as n from report_read_days where channel_id = 7`.execute(db);
    assert.equal(Number(sums.rows[0]!.n), 365 * 3 * 8);
  },
);
