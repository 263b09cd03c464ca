import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createApiKey, createUser } from '../../src/auth/service.js';
import { startServer } from '../../src/main.js';
import { runCli } from '../helpers/cli.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';
import { startServerProcess } from '../helpers/process.js';
import { bearer, call, loginAs, testConfig } from '../helpers/server.js';
import { placeFile, signedPost } from '../recordings/fixtures.js';

const KEY = { key: 'second-key', secret: 'second-key-secret-0123456789' };

/**
 * Two instances on one database, each with its read cache: whatever one acknowledges, the next
 * request to the other sees, for every cached kind of answer; writes elsewhere leave answers cached.
 */
for (const engine of ENGINES) {
  describe(`read cache across instances [${engine}]`, () => {
    test('no stale answer after a write acknowledged by the other instance', { timeout: 120_000 }, async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      const env = { RECAP_DATABASE_URL: scratch.url, RECAP_DATA_DIR: scratch.dataDir };
      const writer = await startServerProcess(env);
      t.after(() => writer.stop());
      const reader = await startServer(testConfig(scratch.url, scratch.dataDir), { logger: false });
      t.after(() => reader.close());
      const db = reader.database.db;
      await createUser(db, { accountId: 1, username: 'max', password: 'max-password', roles: ['manager'] });
      const onWriter = bearer(await loginAs(writer.url, 'max', 'max-password'));
      const onReader = bearer(await loginAs(reader.url, 'max', 'max-password'));
      const post = async (path: string, body: unknown) => {
        const answer = await call(writer.url, 'POST', path, { headers: onWriter, body });
        assert.ok(answer.status < 300, JSON.stringify(answer.body));
        return answer.body;
      };
      const [north, south] = [
        await post('/api/v4/channels', { name: 'N' }),
        await post('/api/v4/channels', { name: 'S' }),
      ];
      const window = `start_date=2026-01-01T00:00:00Z&end_date=2027-01-01T00:00:00Z`;
      const count = async (channel: { id: number }) => {
        const answer = await call(
          reader.url,
          'GET',
          `/api/v4/analytics/reports_over_time?channel_id=${channel.id}&${window}&interval=month`,
          { headers: onReader },
        );
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return (answer.body as { report_count: number }[]).reduce((n, row) => n + row.report_count, 0);
      };
      for (let i = 1; i <= 25; i++) {
        await count(north); // cached on the reader…
        await count(north);
        await post('/api/v4/reports', { channel_id: north.id, created_at: '2026-06-01T10:00:00Z' });
        assert.equal(await count(north), i, `report ${i} acknowledged by the writer, not seen by the reader`);
      }

      // Reports into another channel change nothing here.
      const before = await count(north);
      for (let i = 0; i < 5; i++) await post('/api/v4/reports', { channel_id: south.id });
      assert.equal(await count(north), before);

      // Recordings: registered through the writer, listed by the reader at once.
      for (let i = 0; i < 5; i++) {
        const listed = await signedPost(reader.url, '/auth/recording/fetch', { room_ids: ['room'] });
        assert.equal(listed.body.result?.total_recordings ?? 0, i);
        placeFile(scratch.dataDir, `room/r${i}.webm`, Buffer.from(`r${i}`));
        const added = await signedPost(writer.url, '/auth/recording/add', {
          room_id: 'room',
          room_sid: 'sid',
          record_id: `r${i}`,
          file_path: `room/r${i}.webm`,
        });
        assert.equal(added.body.status, true, JSON.stringify(added.body));
      }
      assert.equal(
        (await signedPost(reader.url, '/auth/recording/fetch', { room_ids: ['room'] })).body.result.total_recordings,
        5,
      );

      // A key revoked through one instance is refused by the other at once (its lookup was cached).
      await createApiKey(db, { accountId: 1, apiKey: KEY.key, apiSecret: KEY.secret });
      assert.equal(
        (await signedPost(reader.url, '/auth/recording/fetch', { room_ids: ['room'] }, KEY)).body.status,
        true,
      );
      const revoked = await runCli(['keys', 'revoke', KEY.key], env);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.equal((await signedPost(reader.url, '/auth/recording/fetch', { room_ids: ['room'] }, KEY)).status, 401);
    });
  });
}
