import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { issueToken } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, rcHeaders, startTestServer } from '../helpers/server.js';

const NOT_LOGGED_IN = {
  success: false,
  error: 'You must be logged in to do this.',
  status: 'error',
  message: 'You must be logged in to do this.',
};
const BAD_LOGIN = { status: 'error', error: 'Unauthorized', message: 'Unauthorized', success: false };

for (const engine of ENGINES) {
  describe(`Rocket.Chat login, me, logout [${engine}]`, () => {
    test('login with the first-start credentials returns userId and authToken; /me works with them', async (t) => {
      const server = await startTestServer(t, engine);
      assert.equal(server.firstStart?.admin.username, ADMIN.username);
      const login = await call(server.url, 'POST', '/api/v1/login', {
        body: { user: ADMIN.username, password: ADMIN.password },
      });
      assert.equal(login.status, 200);
      assert.equal(login.body.status, 'success');
      assert.equal(login.body.success, true);
      assert.match(login.body.data.userId, /^\d+$/);
      assert.match(login.body.data.authToken, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(login.body.data.me.username, 'admin');
      assert.deepEqual(login.body.data.me.roles, ['admin']);

      const session = { userId: login.body.data.userId, authToken: login.body.data.authToken };
      const me = await call(server.url, 'GET', '/api/v1/me', { headers: rcHeaders(session) });
      assert.equal(me.status, 200);
      assert.equal(me.body._id, session.userId);
      assert.equal(me.body.username, 'admin');
      assert.equal(me.body.success, true);

      const viaBearer = await call(server.url, 'GET', '/api/v1/me', { headers: bearer(session) });
      assert.equal(viaBearer.status, 200);
      assert.equal(viaBearer.body._id, session.userId);
    });

    test('login accepts `username` as well as `user`, case-insensitively', async (t) => {
      const server = await startTestServer(t, engine);
      const login = await call(server.url, 'POST', '/api/v1/login', {
        body: { username: 'ADMIN', password: ADMIN.password },
      });
      assert.equal(login.status, 200);
    });

    test('wrong password, unknown user and deactivated user get the exact 401 body', async (t) => {
      const server = await startTestServer(t, engine);
      for (const body of [
        { user: ADMIN.username, password: 'wrong-password' },
        { user: 'nobody', password: ADMIN.password },
      ]) {
        const response = await call(server.url, 'POST', '/api/v1/login', { body });
        assert.equal(response.status, 401);
        assert.deepEqual(response.body, BAD_LOGIN);
        assert.deepEqual(Object.keys(response.body), ['status', 'error', 'message', 'success']);
      }
    });

    test('a login body without password is a 400 error-invalid-params', async (t) => {
      const server = await startTestServer(t, engine);
      const response = await call(server.url, 'POST', '/api/v1/login', { body: { user: 'admin' } });
      assert.equal(response.status, 400);
      assert.equal(response.body.success, false);
      assert.equal(response.body.errorType, 'error-invalid-params');
      const notJson = await call(server.url, 'POST', '/api/v1/login', {
        body: '{"user":',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.success, false);
    });

    test('missing, wrong and mismatched credentials on /me get the exact 401 body', async (t) => {
      const server = await startTestServer(t, engine);
      const session = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const cases: Record<string, string>[] = [
        {},
        { 'x-user-id': session.userId },
        { 'x-auth-token': session.authToken },
        { 'x-user-id': session.userId, 'x-auth-token': 'not-a-token' },
        { 'x-user-id': '999', 'x-auth-token': session.authToken },
        { authorization: 'Bearer not-a-token' },
        { authorization: `Basic ${session.authToken}` },
      ];
      for (const headers of cases) {
        const response = await call(server.url, 'GET', '/api/v1/me', { headers });
        assert.equal(response.status, 401, JSON.stringify(headers));
        assert.deepEqual(response.body, NOT_LOGGED_IN);
        assert.deepEqual(Object.keys(response.body), ['success', 'error', 'status', 'message']);
      }
    });

    test('logout invalidates the token and only that token', async (t) => {
      const server = await startTestServer(t, engine);
      const first = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const second = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const out = await call(server.url, 'POST', '/api/v1/logout', { headers: rcHeaders(first) });
      assert.equal(out.status, 200);
      assert.deepEqual(out.body, { status: 'success', data: { message: "You've been logged out!" } });
      assert.equal((await call(server.url, 'GET', '/api/v1/me', { headers: rcHeaders(first) })).status, 401);
      assert.equal((await call(server.url, 'POST', '/api/v1/logout', { headers: rcHeaders(first) })).status, 401);
      assert.equal((await call(server.url, 'GET', '/api/v1/me', { headers: rcHeaders(second) })).status, 200);
    });

    test('an expired token is refused', async (t) => {
      const server = await startTestServer(t, engine);
      const { token } = await issueToken(server.database.db, 1, 1000, 'cli', Date.now() - 5000);
      const response = await call(server.url, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, NOT_LOGGED_IN);
    });

    test('the database never holds a raw token or password', async (t) => {
      const server = await startTestServer(t, engine);
      const session = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const { token } = await issueToken(server.database.db, 1, 60_000, 'cli');
      const tables = ['users', 'user_tokens', 'api_keys', 'accounts', 'instance_settings'];
      for (const table of tables) {
        const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(server.database.db);
        const dump = JSON.stringify(rows.rows);
        assert.ok(!dump.includes(session.authToken), `${table} holds a login token`);
        assert.ok(!dump.includes(token), `${table} holds a CLI token`);
        assert.ok(!dump.includes(ADMIN.password), `${table} holds the admin password`);
      }
      const stored = await server.database.db
        .selectFrom('users')
        .select('password_hash')
        .where('id', '=', 1)
        .executeTakeFirstOrThrow();
      assert.match(stored.password_hash ?? '', /^scrypt\$32768\$8\$1\$/);
    });
  });
}
