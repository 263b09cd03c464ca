import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer } from '../../src/main.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';
import { startServerProcess } from '../helpers/process.js';
import { ADMIN, bearer, call, loginAs, testConfig } from '../helpers/server.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { placeFile, signedPost } from '../recordings/fixtures.js';

/** The queue is rows: a crash between an event and its delivery loses nothing, and instances share it without sending twice. */

const SETTINGS = { RECAP_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', RECAP_WEBHOOK_RETRY_DELAY: '0.2s' };

async function setUrl(url: string, hookUrl: string) {
  const headers = bearer(await loginAs(url, ADMIN.username, ADMIN.password));
  assert.equal((await call(url, 'PUT', '/api/v4/webhooks', { headers, body: { url: hookUrl } })).status, 200);
  return headers;
}

async function addRecording(url: string, dataDir: string, name: string) {
  placeFile(dataDir, `room/${name}`, Buffer.from(name));
  const add = await signedPost(url, '/auth/recording/add', {
    room_id: 'room',
    room_sid: 'RM_1',
    file_path: `room/${name}`,
  });
  assert.equal(add.body.status, true, JSON.stringify(add.body));
}

for (const engine of ENGINES) {
  describe(`webhooks out: durable queue [${engine}]`, () => {
    test('an event whose receiver is down when the server is killed (-9) is delivered after the restart', async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      // A port nothing listens on yet: the receiver comes up there only after the crash.
      const probe = await startReceiver(t);
      const port = probe.port;
      await probe.close();
      const env = { RECAP_DATABASE_URL: scratch.url, RECAP_DATA_DIR: scratch.dataDir, ...SETTINGS };
      let server = await startServerProcess(env);
      t.after(() => server.stop());
      const headers = await setUrl(server.url, `http://127.0.0.1:${port}/hook`);
      await addRecording(server.url, scratch.dataDir, 'before-crash.mp4');
      for (let i = 0; i < 100; i++) {
        const [item] = (await call(server.url, 'GET', '/api/v4/webhooks/deliveries', { headers })).body.items;
        if (item?.last_error) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await server.kill9();

      const hook = await startReceiver(t, port);
      server = await startServerProcess(env);
      const [delivered] = await hook.waitFor(1, 20_000);
      assert.equal(delivered!.json.event, 'recording_proceeded');
      assert.equal(delivered!.json.recording_info.file_path, 'room/before-crash.mp4');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(hook.received.length, 1);
    });

    test('two instances on one database deliver every event exactly once', async (t) => {
      const scratch = await scratchDatabase(engine);
      const config = testConfig(scratch.url, scratch.dataDir, SETTINGS);
      const first = await startServer(config, { logger: false });
      const second = await startServer(config, { logger: false });
      t.after(async () => {
        await first.close();
        await second.close();
        await scratch.drop();
      });
      const hook = await startReceiver(t);
      await setUrl(first.url, hook.url);
      const N = 40;
      for (let i = 0; i < N; i++)
        await addRecording(i % 2 ? first.url : second.url, scratch.dataDir, `rec-${String(i).padStart(2, '0')}.mp4`);
      await hook.waitFor(N, 15_000);
      await new Promise((r) => setTimeout(r, 1500));
      const paths = hook.received.map((r) => r.json.recording_info.file_path as string).sort();
      assert.equal(paths.length, N);
      assert.equal(new Set(paths).size, N);
      assert.equal(new Set(hook.received.map((r) => r.json.id)).size, N);
    });
  });
}
