import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sdk from 'plugnmeet-sdk-js';
import { createAccount, createApiKey } from '../../src/auth/service.js';
import { placeFile, signedPost } from '../recordings/fixtures.js';
import { ENGINES } from '../helpers/engines.js';
import { API_KEY, startTestServer } from '../helpers/server.js';
import { scriptedSession, sendEvents, T0 } from './fixtures.js';

const { PlugNmeet } = sdk;

/** plugNmeet's room/fetchPastRooms over Recap's sessions, driven by the published SDK. */
for (const engine of ENGINES) {
  describe(`past rooms [${engine}]`, () => {
    test('fetchPastRoomsInfo lists ended sessions with their participants, webhook URL, times and analytics file; recording/info names its room', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      const rooms = [
        { room_id: 'room01', room_sid: 'RM_1' },
        { room_id: 'room01', room_sid: 'RM_2' },
        { room_id: 'room02', room_sid: 'RM_3' },
      ];
      for (const [i, room] of rooms.entries()) {
        const events = scriptedSession(room);
        if (i === 0) Object.assign(events[0]!, { webhook_url: 'https://app.example/plugnmeet-hook' });
        assert.equal((await sendEvents(server.url, events)).body.status, true);
      }
      // A session still running is not a past room.
      await sendEvents(server.url, [{ event: 'room_started', room_id: 'room01', room_sid: 'RM_live', time: T0 }]);
      const client = new PlugNmeet(server.url, API_KEY.key, API_KEY.secret);

      const all = await client.fetchPastRoomsInfo({ room_ids: ['room01'] });
      assert.equal(all.status, true);
      assert.deepEqual(
        { ...all.result, rooms_list: undefined },
        { total_rooms: 2, from: 0, limit: 20, order_by: 'DESC', rooms_list: undefined },
      );
      assert.deepEqual(all.result!.rooms_list, [
        {
          room_title: 'Weekly sync',
          room_id: 'room01',
          room_sid: 'RM_2',
          joined_participants: 2,
          webhook_url: '',
          created: '2025-10-09T08:53:20Z',
          ended: '2025-10-09T08:54:20Z',
          analytics_file_id: 'RM_2',
        },
        {
          room_title: 'Weekly sync',
          room_id: 'room01',
          room_sid: 'RM_1',
          joined_participants: 2,
          webhook_url: 'https://app.example/plugnmeet-hook',
          created: '2025-10-09T08:53:20Z',
          ended: '2025-10-09T08:54:20Z',
          analytics_file_id: 'RM_1',
        },
      ]);
      const everyRoom = await client.fetchPastRoomsInfo({ order_by: 'ASC', from: 1, limit: 1 });
      assert.equal(everyRoom.result?.total_rooms, 3);
      assert.deepEqual(
        everyRoom.result?.rooms_list.map((r) => r.room_sid),
        ['RM_2'],
      );
      const none = await client.fetchPastRoomsInfo({ room_ids: ['nowhere'] });
      assert.deepEqual([none.status, none.msg], [false, 'no room found']);
      const badOrder = await signedPost(server.url, '/auth/room/fetchPastRooms', { order_by: 'sideways' });
      assert.equal(badOrder.body.status_code, 'INVALID_PARAMETERS');

      // Without its analytics file, a past room has no analytics_file_id.
      await client.deleteAnalytics({ file_id: 'RM_3' });
      const withoutFile = (await client.fetchPastRoomsInfo({ room_ids: ['room02'] })).result!.rooms_list[0]!;
      assert.equal('analytics_file_id' in withoutFile, false);

      // Another account's key sees none of these rooms.
      const other = await createAccount(server.database.db, 'Other');
      const key = await createApiKey(server.database.db, {
        accountId: other.id,
        apiKey: 'other',
        apiSecret: 'other-secret-0123456789',
      });
      const stranger = new PlugNmeet(server.url, key.apiKey, key.apiSecret);
      assert.equal((await stranger.fetchPastRoomsInfo({})).status, false);

      // recording/info: the room of the recording's session, times as plugNmeet-server formats them there.
      placeFile(server.config.dataDir, 'room01/a.mp4', Buffer.from('video'));
      await signedPost(server.url, '/auth/recording/add', {
        room_id: 'room01',
        room_sid: 'RM_1',
        record_id: 'rec-1',
        file_path: 'room01/a.mp4',
      });
      const info = await signedPost(server.url, '/auth/recording/info', { record_id: 'rec-1' });
      assert.deepEqual(info.body.room_info, {
        room_title: 'Weekly sync',
        room_id: 'room01',
        room_sid: 'RM_1',
        joined_participants: 2,
        webhook_url: 'https://app.example/plugnmeet-hook',
        created: '2025-10-09 08:53:20',
        ended: '2025-10-09 08:54:20',
        analytics_file_id: 'RM_1',
      });
      // A recording of a session Recap never saw names its own room.
      placeFile(server.config.dataDir, 'room09/b.mp4', Buffer.from('video'));
      await signedPost(server.url, '/auth/recording/add', {
        room_id: 'room09',
        room_sid: 'RM_9',
        record_id: 'rec-9',
        file_path: 'room09/b.mp4',
        room_title: 'Elsewhere',
        room_creation_time: T0 / 1000,
      });
      const elsewhere = await signedPost(server.url, '/auth/recording/info', { record_id: 'rec-9' });
      assert.deepEqual(elsewhere.body.room_info, {
        room_title: 'Elsewhere',
        room_id: 'room09',
        room_sid: 'RM_9',
        joined_participants: 0,
        webhook_url: '',
        created: '2025-10-09 08:53:20',
        ended: '',
      });
    });
  });
}
