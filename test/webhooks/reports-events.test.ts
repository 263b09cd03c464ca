import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebhookReceiver } from 'livekit-server-sdk';
import { createAccount, createApiKey } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, API_KEY, bearer, call, loginAs, startTestServer } from '../helpers/server.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

const FAST = { RECAP_WEBHOOK_ALLOWED_HOSTS: '127.0.0.0/8', RECAP_WEBHOOK_RETRY_DELAY: '0.2s' };

for (const engine of ENGINES) {
  describe(`webhooks out: Reports v4 events [${engine}]`, () => {
    test('report_created and alert_opened per call; an import sends one reports_imported per account, never one per line', async (t) => {
      const server = await startTestServer(t, engine, FAST);
      const hook = await startReceiver(t);
      const otherHook = await startReceiver(t);
      const other = await createAccount(server.database.db, 'Other org');
      // An account without an API key has nothing to sign with: its deliveries wait for one.
      const otherKey = await createApiKey(server.database.db, { accountId: other.id });
      const headers = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      const post = async (path: string, body: unknown) => {
        const response = await call(server.url, 'POST', path, { headers, body });
        assert.ok(response.status < 300, JSON.stringify(response.body));
        return response.body;
      };
      await call(server.url, 'PUT', '/api/v4/webhooks', { headers, body: { url: hook.url } });
      await call(server.url, 'PUT', '/api/v4/webhooks', {
        headers,
        body: { account_id: other.id, url: otherHook.url },
      });
      const channel = await post('/api/v4/channels', { name: 'Field team' });
      const otherChannel = await post('/api/v4/channels', { name: 'Elsewhere', account_id: other.id });
      const report = await post('/api/v4/reports', { channel_id: channel.id, created_at: '2026-11-30T10:00:00Z' });
      const alert = await post('/api/v4/alerts', { report_id: report.id, user_ids: [1] });
      await post(`/api/v4/alerts/${alert.id}/open`, { opened_at: '2026-11-30T10:05:00Z' });

      // Two deliveries to one host may be in flight at once: find each by its event, not its place.
      const byEvent = (event: string) => hook.received.find((r) => r.json.event === event);
      await hook.waitFor(2);
      const created = byEvent('report_created');
      const opened = byEvent('alert_opened');
      for (const r of [created!, opened!])
        await new WebhookReceiver(API_KEY.key, API_KEY.secret).receive(r.body, r.headers.authorization);
      assert.deepEqual(
        { ...created!.json, id: undefined, created_at: undefined },
        {
          event: 'report_created',
          report: {
            id: report.id,
            account_id: 1,
            channel_id: channel.id,
            form_id: null,
            user_id: 1,
            state_id: null,
            created_at: '2026-11-30T10:00:00.000Z',
          },
          id: undefined,
          created_at: undefined,
        },
      );
      assert.deepEqual(opened!.json.alert_open, {
        alert_id: alert.id,
        account_id: 1,
        report_id: report.id,
        channel_id: channel.id,
        user_id: 1,
        opened_at: '2026-11-30T10:05:00.000Z',
      });

      // 300 lines across two accounts: one event each, with that account's counts.
      const lines = [];
      for (let i = 0; i < 100; i++) {
        lines.push({ type: 'report', ref: `r${i}`, channel_id: channel.id, created_at: '2026-11-29T09:00:00Z' });
        lines.push({ type: 'read', report_ref: `r${i}` });
      }
      for (let i = 0; i < 99; i++)
        lines.push({ type: 'report', channel_id: otherChannel.id, created_at: '2026-11-29T09:00:00Z' });
      lines.push({ type: 'alert', ref: 'a', report_ref: 'r0', user_ids: [1] }, { type: 'alert_open', alert_ref: 'a' });
      const imported = await call(server.url, 'POST', '/api/v4/import', {
        headers: { ...headers, 'content-type': 'application/x-ndjson' },
        body: lines.map((l) => JSON.stringify(l)).join('\n'),
      });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      await hook.waitFor(3);
      const ours = byEvent('reports_imported');
      const [theirs] = await otherHook.waitFor(1);
      await new WebhookReceiver(otherKey.apiKey, otherKey.apiSecret).receive(
        theirs!.body,
        theirs!.headers.authorization,
      );
      assert.deepEqual(ours!.json.import, {
        account_id: 1,
        lines: 301,
        reports: 100,
        reads: 100,
        alerts: 1,
        deliveries: 1,
        opens: 1,
      });
      assert.deepEqual(theirs!.json.import, {
        account_id: other.id,
        lines: 301,
        reports: 99,
        reads: 0,
        alerts: 0,
        deliveries: 0,
        opens: 0,
      });
      await new Promise((r) => setTimeout(r, 1200));
      assert.deepEqual(hook.received.map((r) => r.json.event).sort(), [
        'alert_opened',
        'report_created',
        'reports_imported',
      ]);
      assert.equal(otherHook.received.length, 1);
    });
  });
}
