import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

for (const engine of ENGINES) {
  describe(`accounts, users and account scoping [${engine}]`, () => {
    async function setup(t: Parameters<typeof startTestServer>[0]) {
      const server = await startTestServer(t, engine);
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const account2 = await call(server.url, 'POST', '/api/v4/accounts', {
        headers: bearer(admin),
        body: { name: 'Second Org' },
      });
      assert.equal(account2.status, 201);
      assert.equal(account2.body.name, 'Second Org');
      assert.match(account2.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const make = async (body: object) => {
        const response = await call(server.url, 'POST', '/api/v4/users', { headers: bearer(admin), body });
        assert.equal(response.status, 201, JSON.stringify(response.body));
        return response.body as { id: number; account_id: number };
      };
      const manager1 = await make({
        username: 'mona',
        password: 'password-1',
        first_name: 'Mona',
        last_name: 'One',
        roles: ['manager'],
      });
      const analyst1 = await make({
        username: 'ana',
        password: 'password-1',
        first_name: 'Ana',
        last_name: 'One',
        roles: ['analyst'],
      });
      const manager2 = await make({
        account_id: account2.body.id,
        username: 'max',
        password: 'password-2',
        first_name: 'Max',
        last_name: 'Two',
        roles: ['manager'],
      });
      return {
        server,
        admin,
        account2: account2.body.id as number,
        manager1,
        analyst1,
        manager2,
        asManager1: await loginAs(server.url, 'mona', 'password-1'),
        asAnalyst1: await loginAs(server.url, 'ana', 'password-1'),
        asManager2: await loginAs(server.url, 'max', 'password-2'),
      };
    }

    test('a user of another account answers 404, exactly like a missing one', async (t) => {
      const s = await setup(t);
      const foreign = await call(s.server.url, 'GET', `/api/v4/users/${s.manager1.id}`, {
        headers: bearer(s.asManager2),
      });
      const missing = await call(s.server.url, 'GET', '/api/v4/users/987654', { headers: bearer(s.asManager2) });
      assert.equal(foreign.status, 404);
      assert.deepEqual(foreign.body, missing.body);
      assert.deepEqual(foreign.body, { error: 'user not found', code: 'not_found' });
      const own = await call(s.server.url, 'GET', `/api/v4/users/${s.manager2.id}`, { headers: bearer(s.asManager2) });
      assert.equal(own.status, 200);
      assert.equal(own.body.account_id, s.account2);
      assert.equal(
        (await call(s.server.url, 'GET', `/api/v4/accounts/1`, { headers: bearer(s.asManager2) })).status,
        404,
      );
      assert.equal(
        (await call(s.server.url, 'GET', `/api/v4/accounts/${s.account2}`, { headers: bearer(s.asManager2) })).status,
        200,
      );
    });

    test('a manager lists and creates users only in their own account', async (t) => {
      const s = await setup(t);
      const list = await call(s.server.url, 'GET', '/api/v4/users', { headers: bearer(s.asManager2) });
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.map((u: { username: string }) => u.username),
        ['max'],
      );
      const created = await call(s.server.url, 'POST', '/api/v4/users', {
        headers: bearer(s.asManager2),
        body: { username: 'rita', first_name: 'Rita', last_name: 'Two', roles: ['reporter'] },
      });
      assert.equal(created.status, 201);
      assert.equal(created.body.account_id, s.account2);
      const elsewhere = await call(s.server.url, 'POST', '/api/v4/users', {
        headers: bearer(s.asManager2),
        body: { account_id: 1, username: 'sneaky', first_name: 'S', last_name: 'S', roles: ['reporter'] },
      });
      assert.equal(elsewhere.status, 403);
      assert.equal(elsewhere.body.code, 'forbidden');
      const listOther = await call(s.server.url, 'GET', '/api/v4/users?account_id=1', {
        headers: bearer(s.asManager2),
      });
      assert.equal(listOther.status, 403);
    });

    test('a manager cannot grant admin; an analyst cannot manage users or accounts', async (t) => {
      const s = await setup(t);
      const escalate = await call(s.server.url, 'POST', '/api/v4/users', {
        headers: bearer(s.asManager1),
        body: { username: 'boss', first_name: 'B', last_name: 'B', roles: ['admin'] },
      });
      assert.equal(escalate.status, 403);
      const analyst = await call(s.server.url, 'POST', '/api/v4/users', {
        headers: bearer(s.asAnalyst1),
        body: { username: 'x1', first_name: 'X', last_name: 'X', roles: ['reporter'] },
      });
      assert.equal(analyst.status, 403);
      const account = await call(s.server.url, 'POST', '/api/v4/accounts', {
        headers: bearer(s.asManager1),
        body: { name: 'Mine' },
      });
      assert.equal(account.status, 403);
    });

    test('an admin sees every account; duplicate usernames conflict regardless of case', async (t) => {
      const s = await setup(t);
      const all = await call(s.server.url, 'GET', `/api/v4/users?account_id=${s.account2}`, {
        headers: bearer(s.admin),
      });
      assert.deepEqual(
        all.body.map((u: { username: string }) => u.username),
        ['max'],
      );
      assert.equal(
        (await call(s.server.url, 'GET', `/api/v4/users/${s.manager2.id}`, { headers: bearer(s.admin) })).status,
        200,
      );
      const dup = await call(s.server.url, 'POST', '/api/v4/users', {
        headers: bearer(s.admin),
        body: { username: 'MAX', first_name: 'M', last_name: 'M', roles: ['reporter'] },
      });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.code, 'conflict');
      // Regression (found by the fuzz test): an account that does not exist answered 500.
      for (const [path, body] of [
        ['/api/v4/states', { name: 's', account_id: 999 }],
        ['/api/v4/channels', { name: 'c', account_id: 999 }],
        [
          '/api/v4/users',
          { account_id: 999, username: 'nobody', first_name: 'N', last_name: 'N', roles: ['reporter'] },
        ],
      ] as const) {
        const missing = await call(s.server.url, 'POST', path, { headers: bearer(s.admin), body });
        assert.deepEqual(
          [missing.status, missing.body],
          [404, { error: 'account 999 not found', code: 'not_found' }],
          path,
        );
      }
      assert.equal(
        (await call(s.server.url, 'GET', '/api/v4/users?account_id=999', { headers: bearer(s.admin) })).status,
        404,
      );
    });

    test('bad input names the field; no token is a 401 in the v4 envelope', async (t) => {
      const s = await setup(t);
      const cases: [object, RegExp][] = [
        [{ username: 'ok', first_name: 'A', last_name: 'B', roles: ['wizard'] }, /roles/],
        [{ username: 'bad name', first_name: 'A', last_name: 'B', roles: ['reporter'] }, /username/],
        [{ username: 'ok2', first_name: 'A', last_name: 'B', roles: [] }, /roles/],
        [{ username: 'ok3', first_name: 'A', last_name: 'B', roles: ['reporter'], password: 'short' }, /password/],
        [{ first_name: 'A', last_name: 'B', roles: ['reporter'] }, /username/],
      ];
      for (const [body, field] of cases) {
        const response = await call(s.server.url, 'POST', '/api/v4/users', { headers: bearer(s.admin), body });
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.code, 'invalid_params');
        assert.match(response.body.error, field);
      }
      const anonymous = await call(s.server.url, 'GET', '/api/v4/users');
      assert.equal(anonymous.status, 401);
      assert.deepEqual(anonymous.body, { error: 'You must be logged in to do this.', code: 'unauthorized' });
    });
  });
}
