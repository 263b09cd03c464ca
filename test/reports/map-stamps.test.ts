import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUser } from '../../src/auth/service.js';
import { startServer } from '../../src/main.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';
import { startServerProcess } from '../helpers/process.js';
import { bearer, call, loginAs, testConfig } from '../helpers/server.js';

/**
 * Count maps are kept decoded by their stamp (src/reports/counts/map-reads.ts). Another instance
 * rewrites the maps this one has kept, its read cache off: every per-user count is still exact at
 * once, whether the write changed a kept map, added a map, or touched a map of another channel.
 */
for (const engine of ENGINES) {
  describe(`count maps kept by stamp [${engine}]`, () => {
    test('per-user counts follow another instance’s writes at once', { timeout: 120_000 }, async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      const writer = await startServerProcess({ RECAP_DATABASE_URL: scratch.url, RECAP_DATA_DIR: scratch.dataDir });
      t.after(() => writer.stop());
      const reader = await startServer(testConfig(scratch.url, scratch.dataDir, { RECAP_READ_CACHE_MB: '0' }), {
        logger: false,
      });
      t.after(() => reader.close());
      const db = reader.database.db;
      const people = ['ana', 'ben', 'cleo'];
      for (const username of people)
        await createUser(db, { accountId: 1, username, password: `${username}-password`, roles: ['manager'] });
      const tokens = new Map<string, Record<string, string>>();
      for (const username of people)
        tokens.set(username, bearer(await loginAs(writer.url, username, `${username}-password`)));
      const onReader = bearer(await loginAs(reader.url, 'ana', 'ana-password'));
      const post = async (username: string, path: string, body: unknown) => {
        const answer = await call(writer.url, 'POST', path, { headers: tokens.get(username)!, body });
        assert.ok(answer.status < 300, JSON.stringify(answer.body));
        return answer.body as { id: number; user_id: number };
      };
      const [channel, other] = [
        await post('ana', '/api/v4/channels', { name: 'A' }),
        await post('ana', '/api/v4/channels', { name: 'B' }),
      ];
      const window = 'start_date=2025-11-01T00:00:00Z&end_date=2026-11-01T00:00:00Z';
      const perUser = async () => {
        const answer = await call(
          reader.url,
          'GET',
          `/api/v4/analytics/reports_per_user?channel_id=${channel.id}&${window}`,
          {
            headers: onReader,
          },
        );
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return Object.fromEntries(
          (answer.body as { user_id: number; report_count: number }[]).map((r) => [r.user_id, r.report_count]),
        );
      };
      const expected: Record<number, number> = {};
      const report = async (username: string, createdAt: string, into = channel) => {
        const created = await post(username, '/api/v4/reports', { channel_id: into.id, created_at: createdAt });
        if (into === channel) expected[created.user_id] = (expected[created.user_id] ?? 0) + 1;
      };
      // Days spread over the year: day, 8-day and 32-day maps, each kept by the reader once read.
      const days = ['2025-11-20', '2026-01-05', '2026-03-17', '2026-06-01', '2026-06-02', '2026-10-30'];
      for (const [i, day] of days.entries()) await report(people[i % 3]!, `${day}T10:00:00Z`);
      assert.deepEqual(await perUser(), expected);
      for (let i = 0; i < 12; i++) {
        // The same day again (a kept map rewritten), a new day (a new map), another channel's day.
        await report(people[i % 3]!, `2026-06-01T${String(10 + (i % 10)).padStart(2, '0')}:00:00Z`);
        assert.deepEqual(await perUser(), expected, `after report ${i} on a kept day`);
        await report(people[(i + 1) % 3]!, `2026-0${1 + (i % 9)}-${String(10 + i).padStart(2, '0')}T08:00:00Z`);
        assert.deepEqual(await perUser(), expected, `after report ${i} on a new day`);
        await report(people[i % 3]!, '2026-06-01T12:00:00Z', other);
        assert.deepEqual(await perUser(), expected, `after report ${i} into another channel`);
      }
      // More maps changed at once than are fetched one by one: all are read again.
      for (const day of [
        '2025-12-01',
        '2026-02-11',
        '2026-04-21',
        '2026-05-09',
        '2026-07-07',
        '2026-08-18',
        '2026-09-03',
        '2026-09-29',
        '2026-10-11',
        '2026-10-21',
      ])
        await report('cleo', `${day}T09:30:00Z`);
      assert.deepEqual(await perUser(), expected);
    });
  });
}
