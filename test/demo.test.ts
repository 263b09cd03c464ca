import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer } from '../src/main.js';
import { runCli } from './helpers/cli.js';
import { ENGINES, scratchDatabase } from './helpers/engines.js';
import { call, loginAs, testConfig } from './helpers/server.js';

/** `recap demo` through its own process (its own file: three demo runs take ~80 s on PostgreSQL). */
for (const engine of ENGINES) {
  describe(`recap demo [${engine}]`, () => {
    test('fills an empty database through the services, prints its users once, and refuses a filled one without --force', async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      const env = {
        RECAP_DATABASE_URL: scratch.url,
        RECAP_DATA_DIR: scratch.dataDir,
        RECAP_ADMIN_PASSWORD: 'first-admin-pw',
      };
      const demo = await runCli(['demo', '--size', '0.05', '--password', 'demo-password-1'], env);
      assert.equal(demo.code, 0, demo.stderr);
      assert.match(demo.stdout, /Demo data written in [\d.]+ s: 1,500 reports, 48 images, 8 meetings/);
      assert.match(demo.stdout, /harbor-manager +manager +\(--password\) +Harbor Logistics/);
      const again = await runCli(['demo', '--size', '0.05'], env);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already has data: run `recap demo --force`/);
      const forced = await runCli(['demo', '--size', '0.05', '--force'], env);
      assert.equal(forced.code, 0, forced.stderr);
      assert.match(forced.stdout, /Store the passwords now/);

      const config = testConfig(scratch.url, scratch.dataDir, { RECAP_ADMIN_PASSWORD: 'first-admin-pw' });
      const server = await startServer(config, { logger: false });
      t.after(() => server.close());
      const manager = await loginAs(server.url, 'harbor-manager', 'demo-password-1');
      const headers = { authorization: `Bearer ${manager.authToken}` };
      const channels = (await call(server.url, 'GET', '/api/v4/channels', { headers })).body;
      assert.deepEqual(
        channels.items.map((c: { name: string }) => c.name),
        ['Field inspections', 'Incidents', 'Maintenance'],
      );
      const forms = (await call(server.url, 'GET', `/api/v4/forms?channel_id=${channels.items[0].id}`, { headers }))
        .body;
      assert.deepEqual(forms[0].fields.map((f: { field_type: string }) => f.field_type).sort(), [
        'Category',
        'Checkbox',
        'Date',
        'DropDown',
        'Number',
        'Radio',
        'Text',
      ]);
      const recordings = (await call(server.url, 'GET', '/api/v4/recording-rooms', { headers })).body;
      assert.equal(recordings.total, 4);
      const sessions = (await call(server.url, 'GET', '/api/v4/session-rooms', { headers })).body;
      assert.equal(
        sessions.items.reduce((n: number, r: { analytics_files: number }) => n + r.analytics_files, 0),
        4,
      );
    });
  });
}
