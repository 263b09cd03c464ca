import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createUser } from '../src/auth/service.js';
import { purgeTrash } from '../src/trash/service.js';
import { runCli } from './helpers/cli.js';
import { ENGINES } from './helpers/engines.js';
import { bearer, call, loginAs, startTestServer } from './helpers/server.js';
import { placeFile, signedPost } from './recordings/fixtures.js';
import { downloadAnalytics, scriptedSession, sendEvents } from './sessions/fixtures.js';

const VTT = 'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHi\n';

/** Deleted recordings and analytics files wait in the trash: gone from every list, restorable, then purged. */
for (const engine of ENGINES) {
  describe(`trash [${engine}]`, () => {
    test('delete, the id stays taken, restore puts back row and files, purge ends it; nothing is overwritten', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      const files = join(server.config.dataDir, 'files');
      await createUser(server.database.db, {
        accountId: 1,
        username: 'max',
        password: 'max-password',
        roles: ['manager'],
      });
      const manager = bearer(await loginAs(server.url, 'max', 'max-password'));
      const add = (recordId: string, path: string) =>
        signedPost(server.url, '/auth/recording/add', {
          room_id: 'room',
          room_sid: 'sid',
          record_id: recordId,
          file_path: path,
          metadata: { title: 'Kick-off' },
        });
      placeFile(server.config.dataDir, 'room/a.webm', Buffer.from('recording a'));
      assert.equal((await add('rec-a', 'room/a.webm')).body.status, true);
      const subtitle = await fetch(`${server.url}/api/v4/recordings/rec-a/subtitles/en?label=English`, {
        method: 'PUT',
        headers: { ...manager, 'content-type': 'text/vtt' },
        body: VTT,
      });
      assert.equal(subtitle.status, 200);

      // plugNmeet's delete answers as ever; the recording is gone from every list and total.
      const deleted = await signedPost(server.url, '/auth/recording/delete', { record_id: 'rec-a' });
      assert.deepEqual(deleted.body, { status: true, msg: 'success', status_code: 'SUCCESS' });
      assert.equal(
        (await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['room'] })).body.status_code,
        'NOT_FOUND',
      );
      assert.equal((await call(server.url, 'GET', '/api/v4/recording-rooms', { headers: manager })).body.total, 0);
      assert.ok(!existsSync(join(files, 'recordings/1/room/a.webm')));
      assert.ok(existsSync(join(files, 'trash/recording/1')));
      // Its id is taken while it is in the trash.
      placeFile(server.config.dataDir, 'room/a2.webm', Buffer.from('another'));
      const again = await add('rec-a', 'room/a2.webm');
      assert.equal(again.body.status_code, 'INVALID_PARAMETERS');
      assert.match(again.body.msg, /record_id "rec-a" is in the trash until \d{4}-/);

      const listed = await call(server.url, 'GET', '/api/v4/trash', { headers: manager });
      assert.deepEqual(
        listed.body.map((i: { kind: string; id: string; room_id: string; file_size: number }) => [
          i.kind,
          i.id,
          i.room_id,
          i.file_size,
        ]),
        [['recording', 'rec-a', 'room', 11]],
      );
      const restored = await call(server.url, 'POST', '/api/v4/trash/restore', {
        headers: manager,
        body: { kind: 'recording', id: 'rec-a' },
      });
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      const info = await signedPost(server.url, '/auth/recording/info', { record_id: 'rec-a' });
      assert.equal(info.body.recording_info.metadata.title, 'Kick-off');
      assert.equal(
        await (await fetch(`${server.url}/api/v4/recordings/rec-a/subtitles/en`, { headers: manager })).text(),
        VTT,
      );
      assert.equal(
        await (await fetch(`${server.url}/api/v4/recordings/rec-a/file`, { headers: manager })).text(),
        'recording a',
      );
      assert.equal(
        (await call(server.url, 'GET', '/api/v4/recording-rooms', { headers: manager })).body.items[0].recordings,
        1,
      );

      // A restore never overwrites: the path was registered again meanwhile.
      await signedPost(server.url, '/auth/recording/delete', { record_id: 'rec-a' });
      placeFile(server.config.dataDir, 'room/a.webm', Buffer.from('a newer file'));
      assert.equal((await add('rec-b', 'room/a.webm')).body.status, true);
      const refused = await call(server.url, 'POST', '/api/v4/trash/restore', {
        headers: manager,
        body: { kind: 'recording', id: 'rec-a' },
      });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error, /registered again, as record_id "rec-b"/);

      // Analytics files take the same way, through plugNmeet's delete and the CLI's restore.
      await sendEvents(server.url, scriptedSession({ room_id: 'room', room_sid: 'RM_1' }));
      const before = await downloadAnalytics(server.url, 'RM_1');
      assert.equal((await signedPost(server.url, '/auth/analytics/delete', { file_id: 'RM_1' })).body.status, true);
      const cliEnv = { RECAP_DATABASE_URL: server.config.databaseUrl, RECAP_DATA_DIR: server.config.dataDir };
      const list = await runCli(['trash', 'list'], cliEnv);
      assert.match(list.stdout, /recording +rec-a {2}room room/);
      assert.match(list.stdout, /analytics +RM_1 {2}room room/);
      const cliRestore = await runCli(['trash', 'restore', 'analytics', 'RM_1'], cliEnv);
      assert.equal(cliRestore.code, 0, cliRestore.stderr);
      assert.deepEqual(await downloadAnalytics(server.url, 'RM_1'), before);

      // The janitor purges what is due: rows and files, and the id is free again.
      assert.equal(await purgeTrash(server.database.db, server.app.storage, Date.now() + 8 * 86_400_000), 1);
      assert.deepEqual((await call(server.url, 'GET', '/api/v4/trash', { headers: manager })).body, []);
      assert.ok(
        !existsSync(join(files, 'trash/recording')) || readdirSync(join(files, 'trash/recording')).length === 0,
      );
      placeFile(server.config.dataDir, 'room/a3.webm', Buffer.from('third'));
      assert.equal((await add('rec-a', 'room/a3.webm')).body.status, true);
    });

    test('RECAP_TRASH_DAYS=0 deletes at once', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_TRASH_DAYS: '0' });
      placeFile(server.config.dataDir, 'room/a.webm', Buffer.from('a'));
      await signedPost(server.url, '/auth/recording/add', {
        room_id: 'room',
        room_sid: 'sid',
        record_id: 'rec-a',
        file_path: 'room/a.webm',
      });
      await signedPost(server.url, '/auth/recording/delete', { record_id: 'rec-a' });
      assert.ok(!existsSync(join(server.config.dataDir, 'files/trash')));
      placeFile(server.config.dataDir, 'room/a.webm', Buffer.from('a'));
      const again = await signedPost(server.url, '/auth/recording/add', {
        room_id: 'room',
        room_sid: 'sid',
        record_id: 'rec-a',
        file_path: 'room/a.webm',
      });
      assert.equal(again.body.status, true);
    });
  });
}
