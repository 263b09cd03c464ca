import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebhookReceiver } from 'livekit-server-sdk';
import { createAccount, createApiKey } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, API_KEY, bearer, call, loginAs, startTestServer } from '../helpers/server.js';
import { startReceiver, type Received } from '../helpers/webhook-receiver.js';
import { placeFile, signedPost } from '../recordings/fixtures.js';
import { scriptedSession, sendEvents } from '../sessions/fixtures.js';

/** Verifies a delivery as a plugNmeet application does: LiveKit's WebhookReceiver with the key pair. */
async function verified(r: Received, key = API_KEY) {
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['hash-token'], r.headers.authorization);
  await new WebhookReceiver(key.key, key.secret).receive(r.body, r.headers.authorization);
  return r.json;
}

const FAST = { RECAP_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', RECAP_WEBHOOK_RETRY_DELAY: '0.2s' };

for (const engine of ENGINES) {
  describe(`webhooks out: plugNmeet events [${engine}]`, () => {
    test('recording_proceeded and analytics_proceeded go to the account URL and the session URL, in plugNmeet’s body, signed as LiveKit signs', async (t) => {
      const server = await startTestServer(t, engine, FAST);
      const accountHook = await startReceiver(t);
      const sessionHook = await startReceiver(t);
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const put = await call(server.url, 'PUT', '/api/v4/webhooks', {
        headers: bearer(admin),
        body: { url: `${accountHook.url}/plugnmeet` },
      });
      assert.deepEqual(put.body, { account_id: 1, url: `${accountHook.url}/plugnmeet`, signing_api_key: null });

      const room = { room_id: 'room-hooks', room_sid: 'RM_hooks' };
      const events = scriptedSession(room);
      Object.assign(events[0]!, { webhook_url: `${sessionHook.url}/room` });
      assert.equal((await sendEvents(server.url, events)).body.status, true);
      placeFile(server.config.dataDir, 'room-hooks/rec-1.mp4', Buffer.from('a recording'));
      const add = await signedPost(server.url, '/auth/recording/add', {
        ...room,
        record_id: 'rec-1',
        file_path: 'room-hooks/rec-1.mp4',
      });
      assert.equal(add.body.status, true);

      for (const hook of [accountHook, sessionHook]) {
        // Two deliveries to one host may be in flight at once: take each by its event.
        const events = await Promise.all((await hook.waitFor(2)).map((r) => verified(r)));
        const analytics = events.find((e) => e.event === 'analytics_proceeded');
        const recording = events.find((e) => e.event === 'recording_proceeded');
        assert.deepEqual(Object.keys(analytics!), ['event', 'room', 'analytics', 'id', 'created_at']);
        assert.deepEqual(
          { ...analytics, id: undefined, created_at: undefined },
          {
            event: 'analytics_proceeded',
            room: { sid: 'RM_hooks', room_id: 'room-hooks' },
            analytics: { file_id: 'RM_hooks' },
            id: undefined,
            created_at: undefined,
          },
        );
        assert.match(analytics!.id, /^[0-9a-f-]{36}$/);
        assert.match(analytics!.created_at, /^\d{10}$/);
        assert.ok(Math.abs(Number(analytics!.created_at) - Date.now() / 1000) < 60);
        assert.deepEqual(
          { ...recording, id: undefined, created_at: undefined },
          {
            event: 'recording_proceeded',
            room: { sid: 'RM_hooks', room_id: 'room-hooks' },
            recording_info: { record_id: 'rec-1', file_path: 'room-hooks/rec-1.mp4', file_size: 11 },
            id: undefined,
            created_at: undefined,
          },
        );
      }
      assert.equal(accountHook.received[0]!.path, '/plugnmeet');
      assert.equal(sessionHook.received[0]!.path, '/room');
      // One event, one id: each URL got the same body.
      for (const delivered of accountHook.received)
        assert.equal(sessionHook.received.find((r) => r.json.id === delivered.json.id)?.body, delivered.body);
      await assert.rejects(
        new WebhookReceiver(API_KEY.key, 'another-secret-of-32-characters!').receive(
          accountHook.received[0]!.body,
          accountHook.received[0]!.headers.authorization,
        ),
      );

      // The outcome is recorded once the receiver has answered: wait for the last one.
      let log = await call(server.url, 'GET', '/api/v4/webhooks/deliveries', { headers: bearer(admin) });
      for (let i = 0; i < 50 && log.body.items.some((item: { state: string }) => item.state === 'pending'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        log = await call(server.url, 'GET', '/api/v4/webhooks/deliveries', { headers: bearer(admin) });
      }
      assert.equal(log.status, 200);
      assert.equal(log.body.items.length, 4);
      for (const item of log.body.items) {
        assert.equal(item.state, 'delivered');
        assert.equal(item.attempts, 1);
        assert.equal(item.last_status, 204);
      }
      assert.deepEqual(log.body.items.map((i: { event: string }) => i.event).sort(), [
        'analytics_proceeded',
        'analytics_proceeded',
        'recording_proceeded',
        'recording_proceeded',
      ]);
    });

    test('the account’s chosen key signs; a failing receiver is retried with backoff; tenants see only their own settings and log', async (t) => {
      const server = await startTestServer(t, engine, FAST);
      const hook = await startReceiver(t);
      const db = server.database.db;
      const other = await createAccount(db, 'Other org');
      const second = await createApiKey(db, {
        accountId: 1,
        apiKey: 'second-key',
        apiSecret: 'second-secret-0123456789',
      });
      const otherKey = await createApiKey(db, { accountId: other.id, apiKey: 'other-key' });
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const headers = bearer(admin);

      const foreign = await call(server.url, 'PUT', '/api/v4/webhooks', {
        headers,
        body: { url: hook.url, signing_api_key: otherKey.apiKey },
      });
      assert.equal(foreign.status, 400);
      assert.match(foreign.body.error, /not an active API key of this account/);
      for (const url of ['ftp://example.com/', 'http://user:pw@example.com/', 'not a url'])
        assert.equal((await call(server.url, 'PUT', '/api/v4/webhooks', { headers, body: { url } })).status, 400);
      const put = await call(server.url, 'PUT', '/api/v4/webhooks', {
        headers,
        body: { url: hook.url, signing_api_key: second.apiKey },
      });
      assert.equal(put.status, 200);

      hook.answers.push(500, 503);
      placeFile(server.config.dataDir, 'r/one.mp4', Buffer.from('one'));
      await signedPost(server.url, '/auth/recording/add', { room_id: 'r', room_sid: 'RM_r', file_path: 'r/one.mp4' });
      const [delivered] = await hook.waitFor(1);
      await verified(delivered!, { key: second.apiKey, secret: second.apiSecret });
      assert.deepEqual(
        hook.refused.map((r) => [r.status, r.body]),
        [
          [500, delivered!.body],
          [503, delivered!.body],
        ],
      );
      await assert.rejects(verified(delivered!));
      // The log records the attempt after the delivery arrives: wait for it.
      let item;
      for (let i = 0; i < 50 && item?.state !== 'delivered'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        item = (await call(server.url, 'GET', '/api/v4/webhooks/deliveries', { headers })).body.items[0];
      }
      assert.equal(item.state, 'delivered');
      assert.equal(item.attempts, 3);
      assert.equal(item.last_status, 204);
      assert.equal(JSON.parse(item.body).event, 'recording_proceeded');

      // The other account: its manager sees its own (empty) settings and log, never account 1's.
      await call(server.url, 'POST', '/api/v4/users', {
        headers,
        body: {
          account_id: other.id,
          username: 'other-manager',
          password: 'other-manager-pw',
          first_name: 'O',
          last_name: 'M',
          roles: ['manager'],
        },
      });
      const manager = bearer(await loginAs(server.url, 'other-manager', 'other-manager-pw'));
      assert.deepEqual((await call(server.url, 'GET', '/api/v4/webhooks', { headers: manager })).body, {
        account_id: other.id,
        url: '',
        signing_api_key: null,
      });
      assert.deepEqual(
        (await call(server.url, 'GET', '/api/v4/webhooks/deliveries', { headers: manager })).body.items,
        [],
      );
      for (const path of ['/api/v4/webhooks?account_id=1', '/api/v4/webhooks/deliveries?account_id=1'])
        assert.equal((await call(server.url, 'GET', path, { headers: manager })).status, 403);
      // Its recordings never reach account 1's URL.
      placeFile(server.config.dataDir, 'r/two.mp4', Buffer.from('two'), other.id);
      await signedPost(
        server.url,
        '/auth/recording/add',
        { room_id: 'r', room_sid: 'RM_r', file_path: 'r/two.mp4' },
        { key: otherKey.apiKey, secret: otherKey.apiSecret },
      );
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(hook.received.length, 1);
    });
  });
}
