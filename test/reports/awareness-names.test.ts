import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAccount, createUser } from '../../src/auth/service.js';
import { connect } from '../../src/db/connection.js';
import { ENGINES } from '../helpers/engines.js';
import { bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/**
 * user_awareness remembers its recipients' names between requests (auth/user-names.ts), under the
 * account's cache version: without the read cache in front, a name changed by another connection
 * (another instance, or an operator's SQL) shows in the next answer, and a change in another
 * account changes nothing here.
 */
for (const engine of ENGINES) {
  describe(`user_awareness recipients' names [${engine}]`, () => {
    test('a renamed recipient is shown renamed at once; other accounts’ users are left alone', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_READ_CACHE_MB: '0' });
      const db = server.database.db;
      await createUser(db, { accountId: 1, username: 'boss', password: 'boss-password', roles: ['manager'] });
      // One after the other: the answer lists recipients by user id.
      const recipients = [];
      for (const [i, firstName] of ['Ann', 'Ben', 'Cem'].entries())
        recipients.push(
          await createUser(db, {
            accountId: 1,
            username: `field${i}`,
            firstName,
            lastName: 'Field',
            roles: ['reporter'],
          }),
        );
      const other = await createAccount(db, 'Other');
      const stranger = await createUser(db, {
        accountId: other.id,
        username: 'far',
        firstName: 'Far',
        roles: ['reporter'],
      });
      const boss = await loginAs(server.url, 'boss', 'boss-password');
      const send = async (path: string, body: unknown) => {
        const answer = await call(server.url, 'POST', path, { headers: bearer(boss), body });
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        return answer.body;
      };
      const channel = await send('/api/v4/channels', { name: 'Field' });
      const report = await send('/api/v4/reports', { channel_id: channel.id, created_at: '2026-05-02T10:00:00Z' });
      await send('/api/v4/alerts', {
        report_id: report.id,
        user_ids: recipients.map((r) => r.id),
        sent_at: '2026-05-02T11:00:00Z',
      });
      const names = async () => {
        const answer = await call(
          server.url,
          'GET',
          `/api/v4/analytics/user_awareness?channel_id=${channel.id}&start_date=2026-05-01T00:00:00Z&end_date=2026-06-01T00:00:00Z`,
          { headers: bearer(boss) },
        );
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return (answer.body as { first_name: string }[]).map((row) => row.first_name);
      };
      assert.deepEqual(await names(), ['Ann', 'Ben', 'Cem']);
      assert.deepEqual(await names(), ['Ann', 'Ben', 'Cem']);

      const elsewhere = await connect(server.config.databaseUrl, { poolSize: 1 });
      t.after(() => elsewhere.close());
      await elsewhere.db.updateTable('users').set({ first_name: 'Bea' }).where('id', '=', recipients[1]!.id).execute();
      assert.deepEqual(await names(), ['Ann', 'Bea', 'Cem']);
      await elsewhere.db.updateTable('users').set({ first_name: 'Fay' }).where('id', '=', stranger.id).execute();
      assert.deepEqual(await names(), ['Ann', 'Bea', 'Cem']);
      await elsewhere.db.updateTable('users').set({ first_name: 'Ada' }).where('id', '=', recipients[0]!.id).execute();
      assert.deepEqual(await names(), ['Ada', 'Bea', 'Cem']);
    });
  });
}
