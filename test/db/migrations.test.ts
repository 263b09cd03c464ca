import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connect } from '../../src/db/connection.js';
import { LATEST_MIGRATION, migrateToLatest } from '../../src/db/migrate.js';
import { runCli } from '../helpers/cli.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';

for (const engine of ENGINES) {
  describe(`migrations [${engine}]`, () => {
    test('apply all on an empty database, and twice in a row is a no-op', async (t) => {
      const scratch = await scratchDatabase(engine);
      const database = await connect(scratch.url);
      t.after(async () => {
        await database.close();
        await scratch.drop();
      });
      const first = await migrateToLatest(database.db, engine);
      assert.equal(first.at(-1), LATEST_MIGRATION);
      assert.deepEqual(await migrateToLatest(database.db, engine), []);
      const tables = (await database.db.introspection.getTables()).map((table) => table.name);
      for (const name of ['accounts', 'users', 'user_tokens', 'api_keys', 'instance_settings']) assert.ok(tables.includes(name), name);
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
      await migrateToLatest(a.db, engine);
      assert.equal((await migrateToLatest(b.db, engine)).at(-1), LATEST_MIGRATION);
    });

    test('three instances migrating at once apply each migration exactly once', async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      const runs = await Promise.all([1, 2, 3].map(() => runCli(['migrate'], { RECAP_DATABASE_URL: scratch.url })));
      for (const run of runs) assert.equal(run.code, 0, run.stderr);
      const applied = runs.filter((run) => run.stdout.includes(`applied: `));
      assert.equal(applied.length, 1, runs.map((r) => r.stdout).join(' | '));
      assert.equal(runs.filter((run) => run.stdout.includes('database is up to date')).length, 2);
    });
  });
}
