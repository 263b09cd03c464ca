import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createAccount, createApiKey, createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { bearer, call, loginAs, startTestServer } from '../helpers/server.js';
import { downloadAnalytics, scriptedSession, sendEvents } from '../sessions/fixtures.js';
import { placeFile, seedRoom, signedPost } from './fixtures.js';

const VTT = 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello\n';

/** The recording library and session files for people: `/api/v4/recording-rooms`, `/recordings`, `/session-rooms`, `/analytics-files`. */
for (const engine of ENGINES) {
  describe(`recording library for users [${engine}]`, () => {
    test('rooms, pages, info, file with Range, metadata, stored subtitles and delete, by role and account', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      const other = await createAccount(db, 'Other');
      const otherKey = await createApiKey(db, { accountId: other.id });
      const person = async (accountId: number, username: string, roles: ('manager' | 'analyst' | 'reporter')[]) => {
        await createUser(db, { accountId, username, password: `${username}-password`, firstName: username, roles });
        return bearer(await loginAs(server.url, username, `${username}-password`));
      };
      const manager = await person(1, 'manager1', ['manager']);
      const analyst = await person(1, 'analyst1', ['analyst']);
      const reporter = await person(1, 'reporter1', ['reporter']);
      const stranger = await person(other.id, 'analyst2', ['analyst']);
      await seedRoom(server.url, server.config.dataDir, 'room-a', 3);
      await seedRoom(server.url, server.config.dataDir, 'room-b', 1, 1_770_000_000);
      placeFile(server.config.dataDir, 'room-x/x.mp4', Buffer.from('elsewhere'), other.id);
      await signedPost(
        server.url,
        '/auth/recording/add',
        { room_id: 'room-x', room_sid: 'sid-x', file_path: 'room-x/x.mp4', record_id: 'rec-x' },
        { key: otherKey.apiKey, secret: otherKey.apiSecret },
      );
      const get = (path: string, headers = analyst) => call(server.url, 'GET', path, { headers });

      const rooms = await get('/api/v4/recording-rooms');
      assert.deepEqual(rooms.body, {
        total: 2,
        items: [
          {
            room_id: 'room-a',
            recordings: 3,
            total_size: rooms.body.items[0].total_size,
            newest_creation_time: 1_760_000_120,
          },
          {
            room_id: 'room-b',
            recordings: 1,
            total_size: rooms.body.items[1].total_size,
            newest_creation_time: 1_770_000_000,
          },
        ],
      });
      const page = await get('/api/v4/recordings?room_id=room-a&limit=2');
      assert.deepEqual(
        [page.body.total, page.body.items.map((r: { record_id: string }) => r.record_id)],
        [3, ['room-a-rec-0002', 'room-a-rec-0001']],
      );
      const plugnmeet = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['room-a'], limit: 2 });
      assert.deepEqual(page.body.items, plugnmeet.body.result.recordings_list);
      const info = await get('/api/v4/recordings/room-a-rec-0001');
      assert.equal(info.body.recording_info.record_id, 'room-a-rec-0001');
      assert.equal(info.body.room_info.room_id, 'room-a');

      const ranged = await fetch(`${server.url}/api/v4/recordings/room-a-rec-0001/file`, {
        headers: { ...analyst, range: 'bytes=0-4' },
      });
      assert.equal(ranged.status, 206);
      assert.equal(await ranged.text(), 'video');

      // Changes are for managers.
      const patch = { title: 'Kick-off', extra_data: { topic: 'plans' } };
      assert.equal(
        (await call(server.url, 'PATCH', '/api/v4/recordings/room-a-rec-0001', { headers: analyst, body: patch }))
          .status,
        403,
      );
      const patched = await call(server.url, 'PATCH', '/api/v4/recordings/room-a-rec-0001', {
        headers: manager,
        body: patch,
      });
      assert.deepEqual(patched.body, {
        title: 'Kick-off',
        description: '',
        subtitles: {},
        extra_data: { topic: 'plans' },
      });
      const put = (lang: string, body: string, headers = manager) =>
        fetch(`${server.url}/api/v4/recordings/room-a-rec-0001/subtitles/${lang}?label=English`, {
          method: 'PUT',
          headers: { ...headers, 'content-type': 'text/vtt' },
          body,
        });
      assert.equal((await put('en', VTT, analyst)).status, 403);
      assert.equal((await put('en', 'not a subtitle')).status, 400);
      assert.equal((await put('en.vtt', VTT)).status, 400);
      const stored = await put('en', VTT);
      assert.equal(stored.status, 200);
      assert.deepEqual(((await stored.json()) as { subtitles: unknown }).subtitles, {
        en: { label: 'English', url: '/api/v4/recordings/room-a-rec-0001/subtitles/en' },
      });
      const subtitle = await fetch(`${server.url}/api/v4/recordings/room-a-rec-0001/subtitles/en`, {
        headers: analyst,
      });
      assert.equal(subtitle.headers.get('content-type'), 'text/vtt; charset=utf-8');
      assert.equal(await subtitle.text(), VTT);
      assert.equal((await get('/api/v4/recordings/room-a-rec-0001/subtitles/de')).status, 404);

      // Roles and accounts.
      assert.equal((await get('/api/v4/recording-rooms', reporter)).status, 403);
      assert.deepEqual(
        (await get('/api/v4/recording-rooms', stranger)).body.items.map((r: { room_id: string }) => r.room_id),
        ['room-x'],
      );
      assert.equal((await get('/api/v4/recordings/room-a-rec-0001', stranger)).status, 404);
      assert.equal((await get('/api/v4/recordings/room-a-rec-0001/file', stranger)).status, 404);
      assert.equal((await get('/api/v4/recording-rooms?account_id=1', stranger)).status, 403);

      // Delete: the row, the file and the stored subtitles go; plugNmeet's delete does the same.
      const files = join(server.config.dataDir, 'files');
      const subtitles = join(files, 'subtitles/1');
      assert.ok(existsSync(subtitles));
      assert.equal(
        (await call(server.url, 'DELETE', '/api/v4/recordings/room-a-rec-0001', { headers: analyst })).status,
        403,
      );
      assert.equal(
        (await call(server.url, 'DELETE', '/api/v4/recordings/room-a-rec-0001', { headers: manager })).status,
        204,
      );
      assert.equal((await get('/api/v4/recordings/room-a-rec-0001')).status, 404);
      assert.ok(!existsSync(join(files, 'recordings/1/room-a/room-a-rec-0001.mp4')));
      assert.ok(!existsSync(subtitles), 'no subtitle left behind');
      await put('en', VTT).then((r) => assert.equal(r.status, 404));
      const second = await fetch(`${server.url}/api/v4/recordings/room-a-rec-0002/subtitles/de?label=Deutsch`, {
        method: 'PUT',
        headers: { ...manager, 'content-type': 'text/vtt' },
        body: VTT,
      });
      assert.equal(second.status, 200);
      assert.equal(
        (await signedPost(server.url, '/auth/recording/delete', { record_id: 'room-a-rec-0002' })).body.status,
        true,
      );
      assert.ok(!existsSync(subtitles), 'plugNmeet’s delete removes stored subtitles too');
      assert.equal((await get('/api/v4/recording-rooms')).body.items[0].recordings, 1);
    });

    test('session rooms, analytics files, the file itself, and delete', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      await createUser(server.database.db, {
        accountId: 1,
        username: 'ana',
        password: 'ana-password',
        roles: ['analyst'],
      });
      await createUser(server.database.db, {
        accountId: 1,
        username: 'max',
        password: 'max-password',
        roles: ['manager'],
      });
      const analyst = bearer(await loginAs(server.url, 'ana', 'ana-password'));
      const manager = bearer(await loginAs(server.url, 'max', 'max-password'));
      for (const room_sid of ['RM_1', 'RM_2'])
        await sendEvents(server.url, scriptedSession({ room_id: 'weekly', room_sid }));
      const rooms = await call(server.url, 'GET', '/api/v4/session-rooms', { headers: analyst });
      assert.equal(rooms.body.total, 1);
      assert.equal(rooms.body.items[0].analytics_files, 2);
      const list = await call(server.url, 'GET', '/api/v4/analytics-files?room_id=weekly&order_by=ASC', {
        headers: analyst,
      });
      assert.deepEqual(
        list.body.items,
        (await signedPost(server.url, '/auth/analytics/fetch', { room_ids: ['weekly'], order_by: 'ASC' })).body.result
          .analytics_list,
      );
      const file = await call(server.url, 'GET', '/api/v4/analytics-files/RM_1', { headers: analyst });
      assert.deepEqual(file.body, await downloadAnalytics(server.url, 'RM_1'));
      assert.equal(
        (await call(server.url, 'DELETE', '/api/v4/analytics-files/RM_1', { headers: analyst })).status,
        403,
      );
      assert.equal(
        (await call(server.url, 'DELETE', '/api/v4/analytics-files/RM_1', { headers: manager })).status,
        204,
      );
      assert.equal((await call(server.url, 'GET', '/api/v4/analytics-files/RM_1', { headers: analyst })).status, 404);
    });
  });
}
