import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createUser } from '../../src/auth/service.js';
import { runCli } from '../helpers/cli.js';
import { ENGINES } from '../helpers/engines.js';
import { bearer, call, loginAs, startTestServer } from '../helpers/server.js';

for (const engine of ENGINES) {
  describe(`reports v4 import [${engine}]`, () => {
    test('NDJSON over HTTP and with `recap import`: all or nothing, the error names the line', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await createUser(db, { accountId: 1, username: 'manager1', password: 'manager1-password', firstName: 'M', lastName: 'One', roles: ['manager'] });
      const reporter = await createUser(db, { accountId: 1, username: 'reporter1', firstName: 'R', lastName: 'One', roles: ['reporter'] });
      const session = await loginAs(server.url, 'manager1', 'manager1-password');
      const channel = (await call(server.url, 'POST', '/api/v4/channels', { headers: bearer(session), body: { name: 'C' } })).body;
      const state = (await call(server.url, 'POST', '/api/v4/states', { headers: bearer(session), body: { name: 'Open' } })).body;
      const lines = [
        { type: 'report', ref: 'r1', channel_id: channel.id, state_id: state.id, user_id: reporter.id, created_at: '2026-05-01T10:00:00Z' },
        { type: 'report', ref: 'r2', channel_id: channel.id, created_at: '2026-05-01T11:00:00+02:00' },
        { type: 'read', report_ref: 'r1', user_id: reporter.id, read_at: '2026-05-02T08:00:00Z' },
        { type: 'alert', ref: 'a1', report_ref: 'r1', user_ids: [reporter.id], sent_at: '2026-05-01T12:00:00Z' },
        { type: 'alert_delivery', alert_ref: 'a1', user_ids: [reporter.id], sent_at: '2026-05-01T13:00:00Z' },
        { type: 'alert_open', alert_ref: 'a1', user_id: reporter.id, opened_at: '2026-05-01T14:00:00Z' },
      ];
      const ndjson = (items: unknown[]) => `${items.map((l) => JSON.stringify(l)).join('\n')}\n`;
      const post = (body: string) => call(server.url, 'POST', '/api/v4/import', { headers: { ...bearer(session), 'content-type': 'application/x-ndjson' }, body });

      const ok = await post(ndjson(lines));
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(ok.body, { lines: 6, reports: 2, reads: 1, alerts: 1, deliveries: 2, opens: 1 });
      const window = `channel_id=${channel.id}&start_date=2026-05-01T00:00:00Z&end_date=2026-05-03T00:00:00Z`;
      const perState = await call(server.url, 'GET', `/api/v4/analytics/reports_per_state?${window}`, { headers: bearer(session) });
      assert.deepEqual(perState.body, [{ id: state.id, name: 'Open', account_id: 1, report_count: 1 }]);
      const awareness = await call(server.url, 'GET', `/api/v4/analytics/user_awareness?${window}&fields=total_alerts,alerts_opened`, { headers: bearer(session) });
      assert.deepEqual(awareness.body, [{ total_alerts: 2, alerts_opened: 1, user_id: reporter.id, first_name: 'R', last_name: 'One' }]);

      // One bad line (an unknown option of a field would be the same): nothing of the file is stored.
      const count = async () => Number((await db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const before = await count();
      const bad = [lines[0], lines[1], { type: 'read', report_ref: 'nope' }, lines[3]];
      const refused = await post(ndjson(bad));
      assert.equal(refused.status, 400);
      assert.match(refused.body.error, /^line 3: report_ref "nope"/);
      const badType = await post(ndjson([lines[0], { type: 'report', channel_id: 'x' }]));
      assert.match(badType.body.error, /^line 2: channel_id/);
      assert.match((await post('{"type":"report"\n')).body.error, /^line 1: not valid JSON/);
      assert.equal(await count(), before);

      // The CLI, as the manager, on a file.
      const file = join(server.config.dataDir, 'import.ndjson');
      writeFileSync(file, ndjson(lines.slice(0, 3)));
      const env = { RECAP_DATABASE_URL: server.config.databaseUrl, RECAP_DATA_DIR: server.config.dataDir };
      const run = await runCli(['import', file, '--user', 'manager1'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /imported 3 lines in [\d.]+ s: 2 reports, 1 reads/);
      assert.equal(await count(), before + 2);
      writeFileSync(file, ndjson(bad));
      const failed = await runCli(['import', file, '--user', 'manager1'], env);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /line 3: report_ref "nope"/);
      assert.equal(await count(), before + 2);
    });
  });
}
