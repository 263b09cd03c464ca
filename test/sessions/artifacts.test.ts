import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAccount, createApiKey } from '../../src/auth/service.js';
import { signedPost } from '../recordings/fixtures.js';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer } from '../helpers/server.js';
import { scriptedSession, sendEvents } from './fixtures.js';

/** plugNmeet v2's artifact API over Recap's analytics files (MEETING_ANALYTICS). */
for (const engine of ENGINES) {
  describe(`artifacts [${engine}]`, () => {
    test('fetch, info, download token and download (Range), delete; the same file as the analytics API', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      for (const room of [
        { room_id: 'room01', room_sid: 'RM_1' },
        { room_id: 'room01', room_sid: 'RM_2' },
        { room_id: 'room02', room_sid: 'RM_3' },
      ])
        await sendEvents(server.url, scriptedSession(room));
      const post = async (path: string, body: unknown) => (await signedPost(server.url, path, body)).body;

      const all = await post('/auth/artifact/fetch', {});
      assert.deepEqual(
        { ...all.result, artifacts_list: undefined },
        { total_artifacts: 3, from: 0, limit: 20, order_by: 'DESC', artifacts_list: undefined },
      );
      assert.deepEqual(
        all.result.artifacts_list.map((a: { artifact_id: string }) => a.artifact_id),
        ['RM_3', 'RM_2', 'RM_1'],
      );
      const first = all.result.artifacts_list[2];
      assert.equal(first.room_id, 'room01');
      assert.equal(first.type, 'MEETING_ANALYTICS');
      assert.match(first.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(Object.keys(first.metadata), ['user_info', 'provider_job_info', 'file_info']);
      assert.deepEqual(
        { ...first.metadata.file_info, file_size: typeof first.metadata.file_info.file_size },
        { file_path: 'room01/RM_1.json', file_size: 'number', mime_type: 'application/json' },
      );

      const one = await post('/auth/artifact/fetch', {
        room_ids: ['room01'],
        room_sid: 'RM_2',
        type: 'MEETING_ANALYTICS',
        order_by: 'asc',
      });
      assert.deepEqual(
        [one.result.total_artifacts, one.result.type, one.result.order_by],
        [1, 'MEETING_ANALYTICS', 'ASC'],
      );
      assert.deepEqual((await post('/auth/artifact/fetch', { type: 1, from: 2 })).result.artifacts_list.length, 1);
      assert.deepEqual(await post('/auth/artifact/fetch', { type: 'MEETING_SUMMARY' }), {
        status: false,
        msg: 'no artifact found',
        status_code: 'NOT_FOUND',
      });
      assert.equal((await post('/auth/artifact/fetch', { type: 'no such type' })).status_code, 'INVALID_PARAMETERS');

      const info = await post('/auth/artifact/info', { artifact_id: 'RM_1' });
      assert.deepEqual(info.artifact_info, first);
      assert.deepEqual(
        [info.room_info.room_sid, info.room_info.joined_participants, info.room_info.created],
        ['RM_1', 2, '2025-10-09 08:53:20'],
      );

      const { token } = await post('/auth/artifact/getDownloadToken', { artifact_id: 'RM_1' });
      const whole = await fetch(`${server.url}/download/artifact/${token}`);
      assert.equal(whole.status, 200);
      const bytes = Buffer.from(await whole.arrayBuffer());
      assert.equal(bytes.length, first.metadata.file_info.file_size);
      const viaAnalytics = await fetch(`${server.url}/download/analytics/${token}`);
      assert.deepEqual(Buffer.from(await viaAnalytics.arrayBuffer()), bytes);
      const range = await fetch(`${server.url}/download/artifact/${token}`, { headers: { range: 'bytes=0-9' } });
      assert.deepEqual([range.status, range.headers.get('content-range')], [206, `bytes 0-9/${bytes.length}`]);
      assert.equal((await fetch(`${server.url}/download/artifact/not-a-token`)).status, 401);

      assert.deepEqual(await post('/auth/artifact/delete', { artifact_id: 'RM_1' }), {
        status: true,
        msg: 'success',
        status_code: 'SUCCESS',
      });
      assert.deepEqual(await post('/auth/artifact/delete', { artifact_id: 'RM_1' }), {
        status: false,
        msg: 'artifact not found',
        status_code: 'NOT_FOUND',
      });
      assert.equal((await post('/auth/analytics/fetch', { room_ids: ['room01'] })).result.total_analytics, 1);
      assert.equal((await fetch(`${server.url}/download/artifact/${token}`)).status, 404);

      const other = await createAccount(server.database.db, 'Other');
      const key = await createApiKey(server.database.db, {
        accountId: other.id,
        apiKey: 'other',
        apiSecret: 'other-secret-0123456789',
      });
      const stranger = await signedPost(
        server.url,
        '/auth/artifact/fetch',
        {},
        { key: key.apiKey, secret: key.apiSecret },
      );
      assert.equal(stranger.body.status_code, 'NOT_FOUND');
      assert.equal(
        (
          await signedPost(
            server.url,
            '/auth/artifact/info',
            { artifact_id: 'RM_2' },
            { key: key.apiKey, secret: key.apiSecret },
          )
        ).body.status_code,
        'NOT_FOUND',
      );
    });
  });
}
