import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAccount, createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/** What the console lists: channels (paged, searchable, with recent counts) and user names for analysts. */
for (const engine of ENGINES) {
  describe(`channel list and user names [${engine}]`, () => {
    test('channels by name with reports of the last 30 days; search escapes wildcards; names only of the own account', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      const admin = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      const other = await createAccount(db, 'Other');
      const make = async (accountId: number, username: string, roles: ('analyst' | 'reporter')[]) => {
        const user = await createUser(db, {
          accountId,
          username,
          password: `${username}-password`,
          firstName: `${username} first`,
          lastName: 'Last',
          roles,
        });
        return { id: user.id, headers: bearer(await loginAs(server.url, username, `${username}-password`)) };
      };
      const analyst = await make(1, 'analyst1', ['analyst']);
      const reporter = await make(1, 'reporter1', ['reporter']);
      const stranger = await make(other.id, 'analyst2', ['analyst']);
      const post = async (path: string, body: unknown) =>
        (await call(server.url, 'POST', path, { headers: admin, body })).body;
      const names = ['Zeta', 'alpha', '50% off', '500 club', 'Beta_x', 'Betax'];
      const ids: Record<string, number> = {};
      for (const name of names) ids[name] = (await post('/api/v4/channels', { name })).id;
      await post('/api/v4/channels', { name: 'Elsewhere', account_id: other.id });
      const now = Date.now();
      const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString();
      for (const daysAgo of [0, 1, 29, 31, 400])
        await post('/api/v4/reports', { channel_id: ids.alpha, created_at: at(daysAgo) });

      const list = async (query: string, headers = analyst.headers) =>
        (await call(server.url, 'GET', `/api/v4/channels${query}`, { headers })).body;
      const all = await list('');
      assert.equal(all.total, 6);
      assert.deepEqual(
        all.items.map((c: { name: string }) => c.name),
        ['50% off', '500 club', 'alpha', 'Beta_x', 'Betax', 'Zeta'],
      );
      assert.equal(all.items.find((c: { name: string }) => c.name === 'alpha').reports_last_30_days, 3);
      assert.deepEqual(
        (await list('?q=50%25')).items.map((c: { name: string }) => c.name),
        ['50% off'],
      );
      assert.deepEqual(
        (await list('?q=A_X')).items.map((c: { name: string }) => c.name),
        ['Beta_x'],
      );
      const page = await list('?from=2&limit=2');
      assert.deepEqual([page.total, page.items.map((c: { name: string }) => c.name)], [6, ['alpha', 'Beta_x']]);
      assert.deepEqual(
        (await list('', stranger.headers)).items.map((c: { name: string }) => c.name),
        ['Elsewhere'],
      );
      assert.equal(
        (await call(server.url, 'GET', '/api/v4/channels?account_id=1', { headers: stranger.headers })).status,
        403,
      );

      const lookup = (ids: string, headers = analyst.headers) =>
        call(server.url, 'GET', `/api/v4/users/names?ids=${ids}`, { headers });
      const found = await lookup(`${reporter.id},${analyst.id},${stranger.id},999`);
      assert.deepEqual(found.body, [
        { id: analyst.id, username: 'analyst1', first_name: 'analyst1 first', last_name: 'Last' },
        { id: reporter.id, username: 'reporter1', first_name: 'reporter1 first', last_name: 'Last' },
      ]);
      assert.equal((await lookup(String(analyst.id), reporter.headers)).status, 403);
      assert.equal((await lookup('1,abc')).status, 400);
    });
  });
}
