import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sdk from 'plugnmeet-sdk-js';
import { ENGINES } from '../helpers/engines.js';
import { API_KEY, startTestServer } from '../helpers/server.js';
import { expectedFile, scriptedSession, sendEvents, T0 } from './fixtures.js';

const { PlugNmeet } = sdk;

/** Drives a running server with the published plugNmeet SDK, unmodified, as its users do. */
for (const engine of ENGINES) {
  describe(`plugnmeet-sdk-js@1.4.1 against Recap: analytics [${engine}]`, () => {
    test('fetchAnalytics (defaults, ASC, paging), getAnalyticsDownloadToken then download, deleteAnalytics', async (t) => {
      const server = await startTestServer(t, engine);
      // Three sessions of one room and one of another, each closed by room_finished.
      const sessions = [1, 2, 3].map((i) => ({ room_id: 'room01', room_sid: `RM_room01_${i}` }));
      for (const room of [...sessions, { room_id: 'room02', room_sid: 'RM_room02_1' }])
        await sendEvents(server.url, scriptedSession(room));
      const client = new PlugNmeet(server.url, API_KEY.key, API_KEY.secret);

      const defaults = await client.fetchAnalytics({ room_ids: ['room01'] });
      assert.equal(defaults.status, true);
      assert.equal(defaults.msg, 'success');
      assert.deepEqual(
        { ...defaults.result, analytics_list: undefined },
        { total_analytics: 3, from: 0, limit: 20, order_by: 'DESC', analytics_list: undefined },
      );
      const listed = defaults.result!.analytics_list;
      assert.equal(listed.length, 3);
      for (const info of listed) {
        assert.equal(info.room_id, 'room01');
        assert.equal(typeof info.file_size, 'number');
        assert.equal(info.room_creation_time, T0 / 1000);
      }
      const asc = await client.fetchAnalytics({ room_ids: ['room01', 'room02'], order_by: 'ASC', limit: 2 });
      assert.equal(asc.result?.total_analytics, 4);
      const paged = [
        ...asc.result!.analytics_list,
        ...(await client.fetchAnalytics({ room_ids: ['room01', 'room02'], order_by: 'ASC', from: 2, limit: 2 })).result!
          .analytics_list,
      ];
      assert.deepEqual(
        new Set(paged.map((a) => a.file_id)),
        new Set([...sessions.map((s) => s.room_sid), 'RM_room02_1']),
      );
      assert.equal((await client.fetchAnalytics({ room_ids: ['nowhere'] })).msg, 'no analytics found');

      const target = sessions[1]!;
      const { status, token } = await client.getAnalyticsDownloadToken({ file_id: target.room_sid });
      assert.equal(status, true);
      const download = await fetch(`${server.url}/download/analytics/${token}`);
      assert.equal(download.status, 200);
      assert.match(download.headers.get('content-disposition') ?? '', /attachment; filename="RM_room01_2\.json"/);
      assert.deepEqual(await download.json(), expectedFile(target));
      const range = await fetch(`${server.url}/download/analytics/${token}`, { headers: { range: 'bytes=0-7' } });
      assert.equal(range.status, 206);
      assert.equal(await range.text(), '{"room":');

      const deleted = await client.deleteAnalytics({ file_id: target.room_sid });
      assert.equal(deleted.status, true);
      assert.equal((await client.fetchAnalytics({ room_ids: ['room01'] })).result?.total_analytics, 2);
      assert.equal((await client.deleteAnalytics({ file_id: target.room_sid })).status, false);
      assert.equal((await fetch(`${server.url}/download/analytics/${token}`)).status, 404);
    });
  });
}
