import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import * as countMapsMigration from '../../src/db/migrations/0024_report_count_maps.js';
import * as deliveryMapsMigration from '../../src/db/migrations/0025_delivery_maps.js';
import * as varintMapsMigration from '../../src/db/migrations/0030_count_maps_varint.js';
import { connect } from '../../src/db/connection.js';
import type { Database } from '../../src/db/schema.js';
import { LATEST_MIGRATION, migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { addCountMap } from '../../src/reports/counts/map-codec.js';
import { rebuildReportCounts } from '../../src/reports/counts/rebuild-report-counts.js';
import { runCli } from '../helpers/cli.js';
import { ENGINES, scratchConnection, scratchDatabase } from '../helpers/engines.js';
import { distinctStructures } from '../reports/distinct-structures.js';

/** Stored files for the tests that only look at tables (the file layout has its own test). */
const FILES = { storageRoot: mkdtempSync(join(tmpdir(), 'recap-migrations-')) };
after(() => rmSync(FILES.storageRoot, { recursive: true, force: true }));

/** Users of account 1 with these ids, as the tables stood at any migration since 0001. */
async function insertUsers(db: Kysely<Database>, ids: number[]) {
  await db
    .insertInto('users')
    .values(
      ids.map((id) => ({
        id,
        account_id: 1,
        username: `u${id}`,
        first_name: '',
        last_name: '',
        roles: '[]',
        created_at: 0,
      })),
    )
    .execute();
}

for (const engine of ENGINES) {
  describe(`migrations [${engine}]`, () => {
    test('apply all on an empty database, and twice in a row is a no-op', async (t) => {
      const database = await scratchConnection(t, engine);
      const first = await migrateToLatest(database.db, FILES);
      assert.equal(first.at(-1), LATEST_MIGRATION);
      assert.deepEqual(await migrateToLatest(database.db, FILES), []);
      const tables = (await database.db.introspection.getTables()).map((table) => table.name);
      for (const name of ['accounts', 'users', 'user_tokens', 'api_keys', 'instance_settings'])
        assert.ok(tables.includes(name), name);
    });

    test('0031: room events keep their session key on SQLite only', async (t) => {
      const database = await scratchConnection(t, engine);
      await migrateToLatest(database.db, FILES);
      const keys =
        engine === 'postgres'
          ? await sql<{ target: string }>`select confrelid::regclass::text as target from pg_constraint
               where conrelid = 'room_events'::regclass and contype = 'f'`.execute(database.db)
          : await sql<{ target: string }>`select "table" as target from pragma_foreign_key_list('room_events')`.execute(
              database.db,
            );
      assert.deepEqual(
        keys.rows.map((r) => r.target),
        engine === 'postgres' ? [] : ['room_sessions'],
      );
    });

    test('0003 derives the 32-day span counters from the day counters and keeps every count', async (t) => {
      const database = await scratchConnection(t, engine);
      await migrateTo(database.db, '0002_recordings', FILES);
      const db = database.db;
      await db.insertInto('accounts').values({ id: 1, name: 'a', created_at: 0 }).execute();
      const days = [
        { account_id: 1, room_id: 'r1', day: 20_000, total: 3 }, // span 625
        { account_id: 1, room_id: 'r1', day: 20_031, total: 4 }, // span 625 (last day)
        { account_id: 1, room_id: 'r1', day: 20_032, total: 5 }, // span 626
        { account_id: 1, room_id: 'r2', day: 20_010, total: 7 },
      ];
      await db.insertInto('recording_room_days').values(days).execute();
      await db
        .insertInto('recording_room_totals')
        .values([
          { account_id: 1, room_id: 'r1', total: 12 },
          { account_id: 1, room_id: 'r2', total: 7 },
        ])
        .execute();
      await migrateToLatest(db, FILES);
      const spans = await db
        .selectFrom('recording_room_spans')
        .select(['room_id', 'span', 'total'])
        .orderBy('room_id')
        .orderBy('span')
        .execute();
      assert.deepEqual(spans, [
        { room_id: 'r1', span: 625, total: 7 },
        { room_id: 'r1', span: 626, total: 5 },
        { room_id: 'r2', span: 625, total: 7 },
      ]);
      assert.deepEqual(
        await db.selectFrom('recording_room_days').selectAll().orderBy('room_id').orderBy('day').execute(),
        days,
      );
      assert.equal(
        (
          await db
            .selectFrom('recording_room_totals')
            .select((eb) => eb.fn.sum<number>('total').as('n'))
            .executeTakeFirstOrThrow()
        ).n,
        19,
      );
    });

    test('0012 derives the 8-day counts from the day counts of states, users and options', async (t) => {
      const database = await scratchConnection(t, engine);
      await migrateTo(database.db, '0011_report_channel_totals', FILES);
      const db = database.db;
      const day = (bucket: number, total: number, key = 7) => ({
        channel_id: 3,
        level: 2,
        bucket,
        user_id: key,
        total,
      });
      // Days 20,000–20,007 are 8-day span 2,500; 20,008 starts span 2,501.
      await db
        .insertInto('report_user_counts')
        .values([
          day(20_000, 2),
          day(20_007, 3),
          day(20_008, 4),
          day(20_003, 5, 8),
          { channel_id: 3, level: 3, bucket: 625, user_id: 7, total: 9 },
        ])
        .execute();
      await db
        .insertInto('report_state_counts')
        .values({ channel_id: 3, level: 2, bucket: 20_001, state_id: 4, total: 6 })
        .execute();
      await db
        .insertInto('report_option_counts')
        .values({ field_id: 5, level: 2, bucket: 20_015, option_id: 6, total: 1 })
        .execute();
      await migrateToLatest(db, FILES);
      const eightDays = async (table: 'report_user_counts' | 'report_state_counts' | 'report_option_counts') =>
        (await db.selectFrom(table).selectAll().where('level', '=', 4).execute()).map((r) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])),
        );
      const users = await eightDays('report_user_counts');
      users.sort((a, b) => a.bucket! - b.bucket! || a.user_id! - b.user_id!);
      assert.deepEqual(users, [
        { channel_id: 3, level: 4, bucket: 2500, user_id: 7, total: 5 },
        { channel_id: 3, level: 4, bucket: 2500, user_id: 8, total: 5 },
        { channel_id: 3, level: 4, bucket: 2501, user_id: 7, total: 4 },
      ]);
      assert.deepEqual(await eightDays('report_state_counts'), [
        { channel_id: 3, level: 4, bucket: 2500, state_id: 4, total: 6 },
      ]);
      assert.deepEqual(await eightDays('report_option_counts'), [
        { field_id: 5, level: 4, bucket: 2501, option_id: 6, total: 1 },
      ]);
    });

    test('0013 derives the channel totals per UTC day from the hour rows', async (t) => {
      const database = await scratchConnection(t, engine);
      await migrateTo(database.db, '0012_report_count_eight_days', FILES);
      const db = database.db;
      // Hours 480,000–480,023 are UTC day 20,000; 480,024 starts day 20,001. Quarter-hour rows are not read.
      const hour = (channel: number, bucket: number, total: number) => ({
        channel_id: channel,
        level: 1,
        bucket,
        total,
      });
      await db
        .insertInto('report_counts')
        .values([
          hour(3, 480_000, 2),
          hour(3, 480_023, 3),
          hour(3, 480_024, 4),
          hour(4, 480_010, 5),
          { channel_id: 3, level: 0, bucket: 1_920_000, total: 2 },
        ])
        .execute();
      await migrateToLatest(db, FILES);
      const days = (
        await db
          .selectFrom('report_counts')
          .selectAll()
          .where('level', '=', 2)
          .orderBy('channel_id')
          .orderBy('bucket')
          .execute()
      ).map((r) => [r.channel_id, r.bucket, r.total].map(Number));
      assert.deepEqual(days, [
        [3, 20_000, 5],
        [3, 20_001, 4],
        [4, 20_000, 5],
      ]);
    });

    test('0014 moves report values and selections into the report rows, and the counts rebuild from them', async (t) => {
      const database = await scratchConnection(t, engine);
      await migrateTo(database.db, '0013_report_count_days', FILES);
      const db = database.db;
      // The old tables are gone from the typed schema: raw SQL for the rows of 0013.
      for (const statement of [
        sql`insert into accounts (id, name, created_at) values (1, 'a', 0)`,
        sql`insert into users (id, account_id, username, roles, created_at) values (1, 1, 'u', 'reporter', 0)`,
        sql`insert into channels (id, account_id, name, created_at) values (1, 1, 'c', 0)`,
        sql`insert into forms (id, account_id, channel_id, name, created_at) values (1, 1, 1, 'f', 0)`,
        sql`insert into form_fields (id, account_id, form_id, name, field_type, position) values (1, 1, 1, 'Severity', 'DropDown', 0), (2, 1, 1, 'Tags', 'Checkbox', 1), (3, 1, 1, 'Notes', 'Text', 2), (4, 1, 1, 'People', 'Number', 3)`,
        sql`insert into field_options (id, field_id, name, value, position) values (1, 1, 'Low', 'low', 0), (2, 1, 'High', 'high', 1), (3, 2, 'Water', 'water', 0), (4, 2, 'Power', 'power', 1)`,
        sql`insert into reports (id, account_id, channel_id, form_id, user_id, state_id, created_at) values (1, 1, 1, 1, 1, null, 1800000000000), (2, 1, 1, 1, 1, null, 1800000900000), (3, 1, 1, null, 1, null, 1800000900000)`,
        sql`insert into report_values (report_id, field_id, value) values (1, 3, '"Pipe \\"burst\\""'), (1, 4, '3'), (2, 3, '"ok"')`,
        sql`insert into report_selections (report_id, field_id, option_id, channel_id, created_at) values (1, 1, 2, 1, 1800000000000), (1, 2, 3, 1, 1800000000000), (1, 2, 4, 1, 1800000000000), (2, 1, 1, 1, 1800000900000)`,
      ]) {
        await statement.execute(db);
      }
      await migrateToLatest(db, FILES);
      const rows = await db.selectFrom('reports').select(['id', 'field_values', 'option_ids']).orderBy('id').execute();
      const parsed = rows.map((r) => ({
        id: r.id,
        values: r.field_values === null ? null : JSON.parse(r.field_values),
        options: r.option_ids === null ? null : (JSON.parse(r.option_ids) as number[]).sort((a, b) => a - b),
      }));
      assert.deepEqual(parsed, [
        { id: 1, values: { 3: 'Pipe "burst"', 4: 3 }, options: [2, 3, 4] },
        { id: 2, values: { 3: 'ok' }, options: [1] },
        { id: 3, values: null, options: null },
      ]);
      const tables = (await db.introspection.getTables()).map((table) => table.name);
      assert.ok(!tables.includes('report_values') && !tables.includes('report_selections'), tables.join(', '));
      await rebuildReportCounts(db);
      // Both reports are in hour 500,000 (quarter hours 2,000,000 and 2,000,001).
      const hours = await db
        .selectFrom('report_option_counts')
        .select(['field_id', 'option_id', 'bucket', 'total'])
        .where('level', '=', 1)
        .orderBy('option_id')
        .execute();
      assert.deepEqual(
        hours.map((r) => [r.field_id, r.option_id, r.bucket, r.total].map(Number)),
        [
          [1, 1, 500_000, 1],
          [1, 2, 500_000, 1],
          [2, 3, 500_000, 1],
          [2, 4, 500_000, 1],
        ],
      );
    });

    test('0015 sums the quarter-hour counts of states, users and options into hours and drops them', async (t) => {
      const database = await scratchConnection(t, engine);
      await migrateTo(database.db, '0014_report_values_inline', FILES);
      const db = database.db;
      // Quarter hours 2,000,000–2,000,003 are hour 500,000; 2,000,004 starts hour 500,001.
      const quarter = (bucket: number, total: number, key = 7) => ({
        channel_id: 3,
        level: 0,
        bucket,
        user_id: key,
        total,
      });
      await db
        .insertInto('report_user_counts')
        .values([
          quarter(2_000_000, 2),
          quarter(2_000_003, 3),
          quarter(2_000_004, 4),
          quarter(2_000_001, 5, 8),
          { channel_id: 3, level: 2, bucket: 20_833, user_id: 7, total: 9 },
        ])
        .execute();
      await db
        .insertInto('report_state_counts')
        .values({ channel_id: 3, level: 0, bucket: 2_000_002, state_id: 4, total: 6 })
        .execute();
      await db
        .insertInto('report_option_counts')
        .values({ field_id: 5, level: 0, bucket: 2_000_007, option_id: 6, total: 1 })
        .execute();
      await db.insertInto('report_counts').values({ channel_id: 3, level: 0, bucket: 2_000_000, total: 14 }).execute();
      await migrateToLatest(db, FILES);
      const rows = async (table: 'report_user_counts' | 'report_state_counts' | 'report_option_counts') =>
        (await db.selectFrom(table).selectAll().execute())
          .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])))
          .sort((a, b) => a.level! - b.level! || a.bucket! - b.bucket! || a.user_id! - b.user_id!);
      assert.deepEqual(await rows('report_user_counts'), [
        { channel_id: 3, level: 1, bucket: 500_000, user_id: 7, total: 5 },
        { channel_id: 3, level: 1, bucket: 500_000, user_id: 8, total: 5 },
        { channel_id: 3, level: 1, bucket: 500_001, user_id: 7, total: 4 },
        { channel_id: 3, level: 2, bucket: 20_833, user_id: 7, total: 9 },
      ]);
      assert.deepEqual(await rows('report_state_counts'), [
        { channel_id: 3, level: 1, bucket: 500_000, state_id: 4, total: 6 },
      ]);
      assert.deepEqual(await rows('report_option_counts'), [
        { field_id: 5, level: 1, bucket: 500_001, option_id: 6, total: 1 },
      ]);
      // The channel totals keep their quarter hours (local hours of +05:30 zones need them).
      assert.equal((await db.selectFrom('report_counts').selectAll().where('level', '=', 0).execute()).length, 1);
    });

    test('0022 links the reads and deliveries stored before it and counts them per day; 0025 maps the deliveries per recipient', async (t) => {
      const database = await scratchConnection(t, engine);
      await migrateTo(database.db, '0021_cache_versions', FILES);
      const db = database.db;
      const D = 86_400_000;
      await db.insertInto('accounts').values({ id: 1, name: 'A', created_at: 0 }).execute();
      await insertUsers(db, [1, 2]);
      await db.insertInto('channels').values({ id: 1, account_id: 1, name: 'C', created_at: 0 }).execute();
      await db
        .insertInto('reports')
        .values([1, 2].map((id) => ({ id, account_id: 1, channel_id: 1, user_id: 1, created_at: 0 })))
        .execute();
      // User 1 reads report 1 on days 10 and 12 (stored out of order) and report 2 on day 11.
      await db
        .insertInto('report_reads')
        .values([
          { id: 1, report_id: 1, channel_id: 1, user_id: 1, read_at: 12 * D },
          { id: 2, report_id: 1, channel_id: 1, user_id: 1, read_at: 10 * D },
          { id: 3, report_id: 2, channel_id: 1, user_id: 1, read_at: 11 * D },
        ])
        .execute();
      await db
        .insertInto('alerts')
        .values({ id: 1, account_id: 1, report_id: 1, channel_id: 1, created_at: 0 })
        .execute();
      await db
        .insertInto('alert_deliveries')
        .values([
          { id: 1, alert_id: 1, report_id: 1, channel_id: 1, user_id: 2, sent_at: 5 },
          { id: 2, alert_id: 1, report_id: 1, channel_id: 1, user_id: 2, sent_at: 9 },
        ])
        .execute();
      await db.insertInto('alert_opens').values({ alert_id: 1, user_id: 2, opened_at: 10 }).execute();
      await migrateToLatest(db, FILES);

      // The reports were stored without their counts, which the report maps are built from: only
      // the delivery maps (0025, kinds 2 and 3) are compared.
      const withoutMaps = async () => {
        const structures = await distinctStructures(db);
        const maps = structures.report_count_maps as number[][];
        structures.report_count_maps = maps.filter((m) => m[1] === 2 || m[1] === 3);
        return structures;
      };
      const links = await withoutMaps();
      assert.deepEqual(links.report_reads, [
        [1, 10 * D, null, 11 * D, null, 10 * D, null],
        [2, null, 12 * D, null, 11 * D, null, 12 * D],
        [3, null, null, 10 * D, 12 * D, null, null],
      ]);
      assert.deepEqual(links.alert_deliveries, [
        [1, null, null, 1],
        [2, 5, 5, 1],
      ]);
      // Two deliveries to user 2 on day 0, both opened: in the day, 8-day and 32-day maps (key 2
      // and count 2 as zigzag varints, 0030).
      const twoOfUser2 = '0404';
      assert.deepEqual(links.report_count_maps, [
        [1, 2, 2, 0, twoOfUser2],
        [1, 2, 3, 0, twoOfUser2],
        [1, 2, 4, 0, twoOfUser2],
        [1, 3, 2, 0, twoOfUser2],
        [1, 3, 3, 0, twoOfUser2],
        [1, 3, 4, 0, twoOfUser2],
      ]);
      // Kind 1 (user): day 11's read follows day 10's; day 12's follows day 11's.
      assert.deepEqual(
        links.report_read_days!.filter((row) => (row as number[])[1] === 1),
        [
          [1, 1, 10, -1_000_000_000, 1],
          [1, 1, 11, 10, 1],
          [1, 1, 12, 11, 1],
        ],
      );
      await rebuildReportCounts(db);
      assert.deepEqual(await withoutMaps(), links, 'the migration builds what a rebuild does');
    });

    test('0024, 0025 and 0030 build the count maps a rebuild does', async (t) => {
      const database = await scratchConnection(t, engine);
      const db = database.db;
      await migrateToLatest(db, FILES);
      await db.insertInto('accounts').values({ id: 1, name: 'A', created_at: 0 }).execute();
      await db.insertInto('channels').values({ id: 1, account_id: 1, name: 'C', created_at: 0 }).execute();
      await insertUsers(db, [1, 2]);
      const monday = Date.UTC(2026, 0, 5); // a Monday
      const times = [
        [1, monday + 10.5 * 3_600_000],
        [2, monday + 86_400_000 - 60_000],
        [2, monday + 86_400_000],
        [1, monday + 40 * 86_400_000],
      ] as const;
      await db
        .insertInto('reports')
        .values(
          times.map(([user, at], i) => ({ id: i + 1, account_id: 1, channel_id: 1, user_id: user, created_at: at })),
        )
        .execute();
      await rebuildReportCounts(db);
      const maps = async () =>
        (
          await db
            .selectFrom('report_count_maps')
            .selectAll()
            .orderBy('channel_id')
            .orderBy('kind')
            .orderBy('level')
            .orderBy('bucket')
            .execute()
        ).map((m) => {
          const counts = new Map<number, number>();
          addCountMap(counts, m.counts);
          return [m.kind, m.level, m.bucket, Object.fromEntries(counts)];
        });
      const rebuilt = await maps();
      const day = Math.floor(monday / 86_400_000);
      const hour = monday / 3_600_000;
      // Monday 10:00 UTC, Monday 23:00 and Tuesday 00:00 in hours of the week since Thursday 00:00.
      assert.deepEqual(rebuilt.filter(([kind, level]) => kind === 0 && level === 2).slice(0, 2), [
        [0, 2, day, { [(hour + 10) % 168]: 1, [(hour + 23) % 168]: 1 }],
        [0, 2, day + 1, { [(hour + 24) % 168]: 1 }],
      ]);
      assert.deepEqual(
        rebuilt.filter(([kind, level]) => kind === 1 && level === 3),
        [
          [1, 3, Math.floor(day / 32), { 1: 1, 2: 2 }],
          [1, 3, Math.floor((day + 40) / 32), { 1: 1 }],
        ],
      );
      // The migrations, run again on these count tables, build the same maps.
      await db.schema.dropTable('report_count_maps').execute();
      await countMapsMigration.up(db as Kysely<unknown>, engine);
      await deliveryMapsMigration.up(db as Kysely<unknown>);
      await varintMapsMigration.up(db as Kysely<unknown>);
      assert.deepEqual(await maps(), rebuilt);
    });

    test('a second database (or PostgreSQL schema) next to a migrated one is migrated in full', async (t) => {
      // Regression: Kysely looked for its migration tables in every schema, so a migrated
      // neighbour schema made it skip creating its own and fail.
      const [first, second] = [await scratchDatabase(engine), await scratchDatabase(engine)];
      const [a, b] = [await connect(first.url), await connect(second.url)];
      t.after(async () => {
        await a.close();
        await b.close();
        await first.drop();
        await second.drop();
      });
      await migrateToLatest(a.db, FILES);
      assert.equal((await migrateToLatest(b.db, FILES)).at(-1), LATEST_MIGRATION);
    });

    // Regression: on SQLite a deferred migration transaction failed now and then with "database is
    // locked" (about 1 process in 37 here) when another process committed between its read and its
    // first write; transactions now begin immediate. Five rounds make a recurrence likely to show.
    test('three instances migrating at once apply each migration exactly once', async (t) => {
      for (let round = 0; round < 5; round++) {
        const scratch = await scratchDatabase(engine);
        t.after(() => scratch.drop());
        const runs = await Promise.all([1, 2, 3].map(() => runCli(['migrate'], { RECAP_DATABASE_URL: scratch.url })));
        for (const run of runs) assert.equal(run.code, 0, run.stderr);
        const applied = runs.filter((run) => run.stdout.includes(`applied: `));
        assert.equal(applied.length, 1, runs.map((r) => r.stdout).join(' | '));
        assert.equal(runs.filter((run) => run.stdout.includes('database is up to date')).length, 2);
      }
    });
  });
}

if (ENGINES.includes('postgres')) {
  test('PostgreSQL: migrating while other schemas are created and dropped never fails', async (t) => {
    // Regression (CI flake): Kysely's introspector read every schema's columns before taking the
    // migration lock and failed with `schema "t_…" does not exist` when a neighbour was dropped.
    const scratch = await scratchDatabase('postgres');
    const database = await connect(scratch.url);
    let churning = true;
    const churn = (async () => {
      while (churning) {
        const neighbour = await scratchDatabase('postgres');
        const other = await connect(neighbour.url);
        await sql`create table busy (id serial primary key, a int, b text, c int, d text)`.execute(other.db);
        await other.close();
        await neighbour.drop();
      }
    })();
    t.after(async () => {
      churning = false;
      await churn;
      await database.close();
      await scratch.drop();
    });
    await migrateToLatest(database.db, FILES);
    for (let round = 0; round < 300; round++)
      await database.db.introspection.getTables({ withInternalKyselyTables: true });
    assert.equal((await migrateToLatest(database.db, FILES)).length, 0);
  });
}
