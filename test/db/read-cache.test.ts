import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { cacheScope } from '../../src/db/cache-scopes.js';
import { connect, type DatabaseHandle, type Engine } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { cachedRead, enableReadCache, withRequestVersions } from '../../src/db/read-cache.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../helpers/engines.js';

async function open(t: TestContext, scratch: ScratchDatabase): Promise<DatabaseHandle> {
  const database = await connect(scratch.url);
  t.after(() => database.close());
  return database;
}

const snapshot = (id: string) =>
  sql`insert into statistics_snapshots (id, created_at, document) values (${id}, 1, '{}')`;

/** A migrated database with the read cache on, and a counted read of the statistics scope. */
async function cachedSnapshots(t: TestContext, engine: Engine, maxBytes = 1 << 20) {
  const scratch = await scratchDatabase(engine);
  t.after(() => scratch.drop());
  const database = await open(t, scratch);
  await migrateToLatest(database.db, { storageRoot: scratch.dataDir });
  await sql`insert into accounts (name, created_at) values ('One', 1)`.execute(database.db);
  enableReadCache(database.db, { changeCounter: database.changeCounter, maxBytes });
  let computed = 0;
  const read = (key = 'count', bytes = 8) =>
    cachedRead(
      database.db,
      [cacheScope.statistics],
      key,
      async () => {
        computed++;
        const { rows } = await sql<{ n: number }>`select count(*) as n from statistics_snapshots`.execute(database.db);
        return Number(rows[0]!.n);
      },
      () => bytes,
    );
  return { scratch, database, read, computed: () => computed };
}

for (const engine of ENGINES) {
  describe(`read cache [${engine}]`, () => {
    test('answers from memory until its scope is written; writes to other scopes and rolled-back writes keep it', async (t) => {
      const { database, read, computed } = await cachedSnapshots(t, engine);
      assert.equal(await read(), 0);
      assert.equal(await read(), 0);
      assert.equal(computed(), 1);
      await snapshot('a').execute(database.db);
      assert.equal(await read(), 1);
      assert.equal(computed(), 2);
      // Another scope (an account's channels) moves, this one does not.
      await sql`insert into channels (account_id, name, created_at) values (1, 'North', 1)`.execute(database.db);
      assert.equal(await read(), 1);
      assert.equal(computed(), 2);
      await database.db
        .transaction()
        .execute(async (trx) => {
          await snapshot('b').execute(trx);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      assert.equal(await read(), 1);
      assert.equal(computed(), 2);
    });

    test('sees a commit by another connection (another process or instance on the same database)', async (t) => {
      const { scratch, read, computed } = await cachedSnapshots(t, engine);
      const other = await open(t, scratch);
      assert.equal(await read(), 0);
      await snapshot('c').execute(other.db);
      assert.equal(await read(), 1);
      assert.equal(await read(), 1);
      assert.equal(computed(), 2);
    });

    test('a value computed across a write is not served to reads after it', async (t) => {
      const { database, read, computed } = await cachedSnapshots(t, engine);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slowRead = (compute: () => Promise<string>) =>
        cachedRead(database.db, [cacheScope.statistics], 'slow', compute, () => 8);
      // A slow read that started before the write...
      const slow = slowRead(async () => {
        await gate;
        return 'old';
      });
      await new Promise((r) => setTimeout(r, 20));
      await snapshot('d').execute(database.db);
      await read(); // ...while a newer read moved on to the new version.
      release();
      assert.equal(await slow, 'old');
      assert.equal(await slowRead(async () => 'new'), 'new');
      assert.equal(computed(), 1);
    });

    test('requests that miss together compute once; a failed computation is not kept', async (t) => {
      const { read, computed } = await cachedSnapshots(t, engine);
      const answers = await Promise.all(Array.from({ length: 20 }, () => read()));
      assert.deepEqual(new Set(answers), new Set([0]));
      assert.equal(computed(), 1);
      const { database } = await cachedSnapshots(t, engine);
      let attempts = 0;
      const failing = () =>
        cachedRead(
          database.db,
          [cacheScope.statistics],
          'failing',
          async () => {
            attempts++;
            await new Promise((r) => setTimeout(r, 30)); // still running when the others miss
            throw new Error('database went away');
          },
          () => 8,
        );
      const failures = await Promise.allSettled([failing(), failing(), failing()]);
      assert.ok(failures.every((f) => f.status === 'rejected'));
      const tried = attempts;
      await failing().catch(() => undefined);
      assert.equal(attempts, tried + 1);
    });

    test('PostgreSQL: a read-only request reads its versions once, with its likely scopes, and sees what was written before it', async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      const database = await open(t, scratch);
      await migrateToLatest(database.db, { storageRoot: scratch.dataDir });
      let versionReads = 0;
      const counted = database.db.withPlugin({
        transformQuery: (args) => {
          if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node.from).includes('cache_versions'))
            versionReads++;
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      // No change counter: the PostgreSQL path, on either engine.
      enableReadCache(counted, { maxBytes: 1 << 20 });
      const count = (scope: string, table: string) =>
        cachedRead(
          counted,
          [scope],
          table,
          async () =>
            Number((await sql.raw<{ n: number }>(`select count(*) as n from ${table}`).execute(counted)).rows[0]!.n),
          () => 8,
        );
      const request = (likely: string[], handle: () => Promise<number[]>) =>
        new Promise<number[]>((resolve, reject) =>
          withRequestVersions(likely, () => void handle().then(resolve, reject)),
        );
      const both = () =>
        Promise.all([count(cacheScope.statistics, 'statistics_snapshots'), count(cacheScope.users, 'users')]);

      assert.deepEqual(
        await request([cacheScope.users], async () => [...(await both()), ...(await both())]),
        [0, 0, 0, 0],
      );
      assert.equal(versionReads, 1, 'one version read for the whole request');
      versionReads = 0;
      await both();
      assert.equal(versionReads, 2, 'outside a request, one per cached read');

      await snapshot('r').execute(database.db);
      versionReads = 0;
      assert.deepEqual(await request([], both), [1, 0], 'a write before the request is seen');
      assert.equal(versionReads, 2, 'a scope not named as likely is read when first needed');
    });

    test('keeps at most maxBytes, dropping the least recently used, and never one value over an eighth of it', async (t) => {
      const { read, computed } = await cachedSnapshots(t, engine, 8000);
      // Each entry weighs 900 + 2 bytes per character of its key (`0|s|a`: versions, scopes, key).
      await read('a', 900);
      await read('b', 900);
      for (let i = 0; i < 7; i++) await read(`filler-${i}`, 900);
      assert.equal(computed(), 9);
      await read('b', 900); // still there: 'a' was the oldest and went first
      assert.equal(computed(), 9);
      await read('a', 900);
      assert.equal(computed(), 10);
      await read('big', 1001);
      await read('big', 1001);
      assert.equal(computed(), 12);
    });

    test('every write path bumps its scope: triggers on each covered table, on insert, update and delete', async (t) => {
      const { database } = await cachedSnapshots(t, engine);
      const db = database.db;
      const version = async (scope: string) =>
        Number(
          (await db.selectFrom('cache_versions').select('version').where('scope', '=', scope).executeTakeFirst())
            ?.version ?? 0,
        );
      const moved = async (scope: string, write: () => Promise<unknown>) => {
        const before = await version(scope);
        await write();
        assert.ok((await version(scope)) > before, `${scope} did not move`);
      };
      const run = (text: string) => () => sql.raw(text).execute(db);
      await moved(cacheScope.account(1), run(`insert into channels (account_id, name, created_at) values (1, 'C', 1)`));
      await moved(cacheScope.account(1), run(`insert into states (account_id, name, created_at) values (1, 'S', 1)`));
      await moved(
        cacheScope.users,
        run(
          `insert into users (account_id, username, password_hash, first_name, last_name, roles, active, created_at) values (1, 'u', 'x', 'U', 'V', '["reporter"]', 1, 1)`,
        ),
      );
      const channel = Number((await db.selectFrom('channels').select('id').executeTakeFirstOrThrow()).id);
      const scope = cacheScope.channel(channel);
      await moved(
        scope,
        run(`insert into forms (account_id, channel_id, name, created_at) values (1, ${channel}, 'F', 1)`),
      );
      await moved(
        scope,
        run(
          `insert into form_fields (account_id, form_id, name, field_type, position) select 1, id, 'Pick', 'DropDown', 0 from forms`,
        ),
      );
      await moved(
        scope,
        run(`insert into field_options (field_id, name, value, position) select id, 'x', 'x', 0 from form_fields`),
      );
      await moved(
        scope,
        run(`insert into reports (account_id, channel_id, user_id, created_at) select 1, ${channel}, id, 5 from users`),
      );
      await moved(scope, run(`update reports set state_id = (select id from states) where channel_id = ${channel}`));
      await moved(
        cacheScope.channelReads(channel),
        run(
          `insert into report_reads (report_id, channel_id, user_id, read_at) select id, channel_id, user_id, 6 from reports`,
        ),
      );
      await moved(
        cacheScope.channelAlerts(channel),
        run(
          `insert into alerts (account_id, report_id, channel_id, created_at) select 1, id, channel_id, 7 from reports`,
        ),
      );
      await moved(
        cacheScope.channelAlerts(channel),
        run(
          `insert into alert_deliveries (alert_id, report_id, channel_id, user_id, sent_at) select a.id, a.report_id, a.channel_id, u.id, 8 from alerts a, users u`,
        ),
      );
      await moved(
        cacheScope.channelAlerts(channel),
        run(`insert into alert_opens (alert_id, user_id, opened_at) select a.id, u.id, 9 from alerts a, users u`),
      );
      // Deleting a report cascades to its reads and alerts: all three scopes move.
      const scopes = [scope, cacheScope.channelReads(channel), cacheScope.channelAlerts(channel)];
      const before = await Promise.all(scopes.map(version));
      await sql.raw(`delete from reports where channel_id = ${channel}`).execute(db);
      const after = await Promise.all(scopes.map(version));
      scopes.forEach((name, i) => assert.ok(after[i]! > before[i]!, `${name} did not move on a delete`));
      await moved(
        cacheScope.recordings(1),
        run(
          `insert into recordings (account_id, record_id, room_id, room_sid, file_path, file_size, creation_time, room_creation_time, metadata, created_at) values (1, 'r1', 'room', 'sid', 'room/r1.webm', 1, 1, 1, '{}', 1)`,
        ),
      );
      await moved(cacheScope.recordings(1), run(`delete from recordings`));
      await moved(cacheScope.statistics, () => snapshot('e').execute(db));
    });
  });
}
