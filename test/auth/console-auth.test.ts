import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, call, startTestServer } from '../helpers/server.js';
import { signedPost } from '../recordings/fixtures.js';

/** The console's sign-in: an HttpOnly cookie that user routes accept and plugNmeet routes never do. */
for (const engine of ENGINES) {
  describe(`console sign-in [${engine}]`, () => {
    test('the cookie is HttpOnly and SameSite=Strict, works on user routes, needs the own Origin to write, and ends with logout', async (t) => {
      const server = await startTestServer(t, engine);
      const origin = server.url;
      const login = (body: unknown, headers: Record<string, string> = { origin }) =>
        fetch(`${server.url}/api/v4/console/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      const good = { username: ADMIN.username, password: ADMIN.password };
      // Without an Origin, or from another site: refused before the password is checked.
      assert.equal((await login(good, {})).status, 403);
      assert.equal((await login(good, { origin: 'https://evil.example' })).status, 403);

      const signedIn = await login(good);
      assert.equal(signedIn.status, 200);
      const me = (await signedIn.json()) as Record<string, unknown>;
      assert.deepEqual(
        { ...me, id: undefined },
        {
          id: undefined,
          account_id: 1,
          account_name: 'Default',
          username: 'admin',
          first_name: 'Admin',
          last_name: '',
          roles: ['admin'],
        },
      );
      const setCookie = signedIn.headers.get('set-cookie')!;
      assert.match(setCookie, /^recap_session=[^;]+; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
      assert.equal(JSON.stringify(me).includes(setCookie.split(';')[0]!.split('=')[1]!), false, 'no token in the body');
      const cookie = setCookie.split(';')[0]!;

      // Reads with the cookie alone.
      assert.equal((await call(server.url, 'GET', '/api/v4/console/me', { headers: { cookie } })).status, 200);
      assert.equal((await call(server.url, 'GET', '/api/v1/me', { headers: { cookie } })).status, 200);
      assert.equal((await call(server.url, 'GET', '/api/v4/channels', { headers: { cookie } })).status, 200);
      // Writes with the cookie need this server's Origin.
      const write = (headers: Record<string, string>) =>
        call(server.url, 'POST', '/api/v4/channels', {
          headers: { cookie, ...headers },
          body: { name: 'From the console' },
        });
      assert.equal((await write({})).status, 403);
      assert.equal((await write({ origin: 'https://evil.example' })).status, 403);
      assert.equal((await write({ origin })).status, 201);
      // plugNmeet's routes never take the cookie: they answer their 401 for a missing API key.
      const plugnmeet = await call(server.url, 'POST', '/auth/recording/fetch', {
        headers: { cookie, origin },
        body: { room_ids: ['x'] },
      });
      assert.equal(plugnmeet.status, 401);
      assert.equal(plugnmeet.body.status_code, 'MISSING_REQUIRED_PARAMETER');
      assert.equal((await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['x'] })).status, 200);

      const logout = await call(server.url, 'POST', '/api/v4/console/logout', { headers: { cookie, origin } });
      assert.equal(logout.status, 204);
      assert.match(logout.headers.get('set-cookie')!, /^recap_session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970/);
      assert.equal((await call(server.url, 'GET', '/api/v4/console/me', { headers: { cookie } })).status, 401);
    });

    test('ten failed sign-ins of a username answer 429 with Retry-After, on the console and on Rocket.Chat’s login', async (t) => {
      const server = await startTestServer(t, engine);
      await createUser(server.database.db, {
        accountId: 1,
        username: 'ann',
        password: 'ann-password',
        firstName: 'Ann',
        roles: ['analyst'],
      });
      const consoleLogin = (password: string) =>
        call(server.url, 'POST', '/api/v4/console/login', {
          headers: { origin: server.url },
          body: { username: 'ann', password },
        });
      for (let i = 0; i < 10; i++) assert.equal((await consoleLogin('wrong-password')).status, 401);
      const refused = await consoleLogin('ann-password');
      assert.equal(refused.status, 429);
      assert.equal(refused.body.code, 'too_many_requests');
      assert.ok(Number(refused.headers.get('retry-after')) > 800);
      const rocketChat = await call(server.url, 'POST', '/api/v1/login', {
        body: { user: 'ANN', password: 'ann-password' },
      });
      assert.equal(rocketChat.status, 429);
      assert.match(rocketChat.body.error, /\[error-too-many-requests\]$/);
      // Another username from the same address is not held back.
      assert.equal(
        (await call(server.url, 'POST', '/api/v1/login', { body: { user: ADMIN.username, password: ADMIN.password } }))
          .status,
        200,
      );
    });
  });
}
