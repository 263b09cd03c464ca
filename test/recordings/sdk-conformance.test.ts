import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sdk from 'plugnmeet-sdk-js';
import { ENGINES } from '../helpers/engines.js';
import { API_KEY, startTestServer } from '../helpers/server.js';
import { seedRoom } from './fixtures.js';

const { PlugNmeet } = sdk;

/** Drives a running server with the published plugNmeet SDK, unmodified, as its users do. */
for (const engine of ENGINES) {
  describe(`plugnmeet-sdk-js@1.4.1 against Recap: recordings [${engine}]`, () => {
    test('fetchRecordings, paging, room_sid pass-through, download token + Range, deleteRecordings', async (t) => {
      const server = await startTestServer(t, engine);
      await seedRoom(server.url, server.config.dataDir, 'room01', 27);
      await seedRoom(server.url, server.config.dataDir, 'room02', 4, 1_760_000_100);
      const client = new PlugNmeet(server.url, API_KEY.key, API_KEY.secret);

      const defaults = await client.fetchRecordings({ room_ids: ['room01'] });
      assert.equal(defaults.status, true);
      assert.equal(defaults.msg, 'success');
      assert.equal(defaults.result?.total_recordings, 27);
      assert.equal(defaults.result?.from, 0);
      assert.equal(defaults.result?.limit, 20);
      assert.equal(defaults.result?.order_by, 'DESC');
      assert.equal(defaults.result?.recordings_list.length, 20);
      const newest = defaults.result!.recordings_list[0]!;
      assert.equal(newest.record_id, 'room01-rec-0026');
      assert.equal(typeof newest.file_size, 'number');
      assert.equal(typeof newest.creation_time, 'number');

      const asc = await client.fetchRecordings({ room_ids: ['room01'], order_by: 'ASC', limit: 5 });
      assert.equal(asc.result?.recordings_list[0]?.record_id, 'room01-rec-0000');

      // Page through a whole room: no overlap, no gap.
      const seen: string[] = [];
      for (let from = 0; from < 27; from += 6) {
        const page = await client.fetchRecordings({ room_ids: ['room01'], from, limit: 6, order_by: 'DESC' });
        seen.push(...page.result!.recordings_list.map((r) => r.record_id));
      }
      assert.equal(seen.length, 27);
      assert.equal(new Set(seen).size, 27);

      // Extra keys such as room_sid pass through the SDK as given.
      const bySession = await client.fetchRecordings({ room_ids: ['room01'], room_sid: 'room01-sid-2' } as never);
      assert.equal(bySession.result?.total_recordings, 7);

      const none = await client.fetchRecordings({ room_ids: ['no-such-room'] });
      assert.deepEqual(none, { status: false, msg: 'no recordings found', result: undefined });

      const token = await client.getRecordingDownloadToken({ record_id: 'room02-rec-0001' });
      assert.equal(token.status, true);
      assert.ok(token.token);
      const ranged = await fetch(`${server.url}/download/recording/${token.token}`, {
        headers: { range: 'bytes=0-4' },
      });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), 'video');
      const whole = await fetch(`${server.url}/download/recording/${token.token}`);
      assert.equal(await whole.text(), 'video room02-rec-0001');

      const deleted = await client.deleteRecordings({ record_id: 'room02-rec-0001' });
      assert.deepEqual(deleted, { status: true, msg: 'success' });
      const after = await client.fetchRecordings({ room_ids: ['room02'] });
      assert.equal(after.result?.total_recordings, 3);
      const again = await client.deleteRecordings({ record_id: 'room02-rec-0001' });
      assert.equal(again.status, false);

      const wrongSecret = new PlugNmeet(server.url, API_KEY.key, 'not-the-secret');
      const refused = await wrongSecret.fetchRecordings({ room_ids: ['room01'] });
      assert.equal(refused.status, false);
      assert.equal(refused.msg, 'Failed to verify provided authentication details.');
    });
  });
}
