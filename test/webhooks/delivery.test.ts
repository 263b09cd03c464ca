import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer, type TestServer } from '../helpers/server.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { placeFile, signedPost } from '../recordings/fixtures.js';
import { sendEvents, T0 } from '../sessions/fixtures.js';

/** Deliveries that refuse private targets, do not follow redirects, and never let a dead URL hold up others. */

async function setUrl(server: TestServer, url: string) {
  const admin = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
  const put = await call(server.url, 'PUT', '/api/v4/webhooks', { headers: admin, body: { url } });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  return admin;
}

/** A session that names `webhookUrl` and ends at once: its analytics_proceeded goes there. */
async function endSession(server: TestServer, sid: string, webhookUrl?: string) {
  const room = { room_id: 'room', room_sid: sid };
  const started = { event: 'room_started', ...room, time: T0, ...(webhookUrl ? { webhook_url: webhookUrl } : {}) };
  const answer = await sendEvents(server.url, [started, { event: 'room_finished', ...room, time: T0 + 1000 }]);
  assert.equal(answer.body.status, true, JSON.stringify(answer.body));
}

async function addRecording(server: TestServer, sid: string, name: string) {
  placeFile(server.config.dataDir, `room/${name}`, Buffer.from(name));
  const add = await signedPost(server.url, '/auth/recording/add', {
    room_id: 'room',
    room_sid: sid,
    file_path: `room/${name}`,
  });
  assert.equal(add.body.status, true, JSON.stringify(add.body));
}

/** The delivery log once no row is pending any more (or after `ms`). */
async function settledLog(server: TestServer, headers: Record<string, string>, ms = 8000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { body } = await call(server.url, 'GET', '/api/v4/webhooks/deliveries?limit=200', { headers });
    if (!body.items.some((i: { state: string }) => i.state === 'pending') || Date.now() > deadline) return body.items;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of ENGINES) {
  describe(`webhooks out: delivery [${engine}]`, () => {
    test('loopback, private and link-local targets are refused after DNS unless allowed; nothing reaches them', async (t: TestContext) => {
      const server = await startTestServer(t, engine);
      const hook = await startReceiver(t);
      const admin = await setUrl(server, `http://localhost:${hook.port}/by-name`);
      await endSession(server, 'RM_v6', `http://[::1]:${hook.port}/`);
      await endSession(server, 'RM_meta', 'http://169.254.169.254/latest/meta-data/');
      await endSession(server, 'RM_private', 'http://10.0.0.1/');
      await endSession(server, 'RM_mapped', `http://[::ffff:127.0.0.1]:${hook.port}/`);
      const items = await settledLog(server, admin);
      assert.equal(items.length, 8);
      for (const item of items) {
        assert.equal(item.state, 'failed', JSON.stringify(item));
        assert.equal(item.attempts, 1);
        assert.match(item.last_error, /is not allowed.*RECAP_WEBHOOK_ALLOWED_HOSTS/);
      }
      assert.equal(hook.received.length + hook.refused.length, 0);
    });

    test('allowed hosts let named receivers through; a redirect is a failure and is not followed', async (t) => {
      const server = await startTestServer(t, engine, {
        RECAP_WEBHOOK_ALLOWED_HOSTS: 'localhost, 192.0.2.0/24',
        RECAP_WEBHOOK_RETRY_DELAY: '0.2s',
      });
      const hook = await startReceiver(t);
      const admin = await setUrl(server, `http://localhost:${hook.port}/by-name`);
      hook.answers.push(302);
      await endSession(server, 'RM_1', `http://127.0.0.1:${hook.port}/by-address`);
      const [delivered] = await hook.waitFor(1);
      assert.equal(delivered!.path, '/by-name');
      assert.deepEqual(
        hook.refused.map((r) => r.status),
        [302],
      );
      const items = await settledLog(server, admin);
      const byUrl = Object.fromEntries(items.map((i: { url: string }) => [new URL(i.url).pathname, i]));
      assert.equal(byUrl['/by-name'].state, 'delivered');
      assert.equal(byUrl['/by-name'].attempts, 2);
      assert.equal(byUrl['/by-address'].state, 'failed');
      assert.match(byUrl['/by-address'].last_error, /not allowed/);
      // The redirect's target was never asked for.
      await sleep(300);
      assert.ok(hook.received.every((r) => r.path !== '/redirected'));
    });

    test('a receiver that never answers holds up no other receiver; its deliveries time out and wait their turn', async (t) => {
      const server = await startTestServer(t, engine, {
        RECAP_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        RECAP_WEBHOOK_TIMEOUT: '1s',
        RECAP_WEBHOOK_RETRY_DELAY: '30s',
      });
      const dead = await startReceiver(t);
      const live = await startReceiver(t);
      for (let i = 0; i < 40; i++) dead.answers.push('hang');
      const admin = await setUrl(server, `${dead.url}/dead`);
      await endSession(server, 'RM_live', `${live.url}/live`);
      const started = Date.now();
      for (let i = 0; i < 12; i++) await addRecording(server, 'RM_live', `rec-${i}.mp4`);
      await live.waitFor(13, 5000);
      // Twelve deliveries to the live receiver while each of the dead one's took a second to fail.
      assert.ok(Date.now() - started < 4000, `live deliveries took ${Date.now() - started} ms`);
      await sleep(1500);
      const { body } = await call(server.url, 'GET', '/api/v4/webhooks/deliveries?limit=200', { headers: admin });
      const deadItems = body.items.filter((i: { url: string }) => i.url.endsWith('/dead'));
      assert.equal(deadItems.length, 13);
      const tried = deadItems.filter((i: { attempts: number }) => i.attempts > 0);
      assert.ok(tried.length >= 2);
      for (const item of tried.filter((i: { last_error: string | null }) => i.last_error !== null)) {
        assert.equal(item.state, 'pending');
        assert.equal(item.last_error, 'timed out after 1000 ms');
      }
    });
  });
}
