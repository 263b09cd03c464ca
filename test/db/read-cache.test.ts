import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { connect, type DatabaseHandle, type Engine } from '../../src/db/connection.js';
import { cachedRead, enableReadCache } from '../../src/db/read-cache.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../helpers/engines.js';

async function open(t: TestContext, scratch: ScratchDatabase): Promise<DatabaseHandle> {
  const database = await connect(scratch.url);
  t.after(() => database.close());
  return database;
}

/** A database with table `t`, the read cache on, and a counted read of `t`. */
async function cachedTable(t: TestContext, engine: Engine, maxBytes = 1 << 20) {
  const scratch = await scratchDatabase(engine);
  t.after(() => scratch.drop());
  const database = await open(t, scratch);
  await sql`create table t (x integer not null)`.execute(database.db);
  if (database.changeCounter) enableReadCache(database.db, { changeCounter: database.changeCounter, maxBytes });
  let computed = 0;
  const read = (key = 'sum', bytes = 8) =>
    cachedRead(
      database.db,
      key,
      async () => {
        computed++;
        const { rows } = await sql<{ n: number }>`select coalesce(sum(x), 0) as n from t`.execute(database.db);
        return Number(rows[0]!.n);
      },
      () => bytes,
    );
  return { scratch, database, read, computed: () => computed };
}

for (const engine of ENGINES) {
  describe(`read cache [${engine}]`, () => {
    if (engine === 'postgres') {
      test('is off: every read runs its query', async (t) => {
        const { read, computed } = await cachedTable(t, engine);
        await read();
        await read();
        assert.equal(computed(), 2);
      });
      return;
    }

    test('answers from memory until this connection writes, even a write rolled back', async (t) => {
      const { database, read, computed } = await cachedTable(t, engine);
      assert.equal(await read(), 0);
      assert.equal(await read(), 0);
      assert.equal(computed(), 1);
      await sql`insert into t (x) values (5)`.execute(database.db);
      assert.equal(await read(), 5);
      assert.equal(computed(), 2);
      await database.db
        .transaction()
        .execute(async (trx) => {
          await sql`insert into t (x) values (100)`.execute(trx);
          throw new Error('roll back');
        })
        .catch(() => undefined);
      assert.equal(await read(), 5);
      assert.equal(computed(), 3);
    });

    test('sees a commit by another connection (another process on the same file)', async (t) => {
      const { scratch, read, computed } = await cachedTable(t, engine);
      const other = await open(t, scratch);
      assert.equal(await read(), 0);
      await sql`insert into t (x) values (7)`.execute(other.db);
      assert.equal(await read(), 7);
      assert.equal(await read(), 7);
      assert.equal(computed(), 2);
    });

    test('does not keep a value computed across a write another read already saw', async (t) => {
      const { database, read, computed } = await cachedTable(t, engine);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // A slow read that started before the write...
      const slow = cachedRead(
        database.db,
        'slow',
        async () => {
          await gate;
          return 'old';
        },
        () => 8,
      );
      await sql`insert into t (x) values (1)`.execute(database.db);
      await read(); // ...while a newer read moved the cache on to the new version.
      release();
      assert.equal(await slow, 'old');
      assert.equal(
        await cachedRead(
          database.db,
          'slow',
          async () => 'new',
          () => 8,
        ),
        'new',
      );
      assert.equal(computed(), 1);
    });

    test('keeps at most maxBytes, dropping the least recently used, and never one value over an eighth of it', async (t) => {
      const { read, computed } = await cachedTable(t, engine, 8000);
      await read('a', 900); // each entry weighs 900 + 2 bytes of key
      await read('b', 900);
      for (let i = 0; i < 7; i++) await read(`filler-${i}`, 900);
      assert.equal(computed(), 9);
      await read('b', 900); // still there: 8 entries fit, 'a' was the oldest and went first
      assert.equal(computed(), 9);
      await read('a', 900);
      assert.equal(computed(), 10);
      await read('big', 1001);
      await read('big', 1001);
      assert.equal(computed(), 12);
    });
  });
}
