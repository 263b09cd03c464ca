import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { requireUser } from '../../src/auth/hooks.js';
import { createUser, deactivateUser, revokeApiKey } from '../../src/auth/service.js';
import { hmacSha256Hex } from '../../src/auth/crypto.js';
import { useFamilyErrors } from '../../src/http/families.js';
import { notFound } from '../../src/http/errors.js';
import { usePlugnmeetFamily } from '../../src/http/plugnmeet.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, API_KEY, bearer, call, loginAs, rcHeaders, startCustomServer } from '../helpers/server.js';

/**
 * Read-only routes may run before their credential is confirmed (on by default on PostgreSQL;
 * forced on here for both engines): the answer must still never leave for a credential that is
 * no longer valid, and must carry the family's own 401.
 */
const readOnly = { likelyScopes: () => [] };

async function addProbeRoutes(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    useFamilyErrors(scope, 'reports');
    scope.addHook('onRequest', requireUser);
    // Whether the handler ran before the credential was confirmed, and as whom.
    scope.get('/api/v4/test/whoami', { config: readOnly }, async (request) => ({
      user_id: request.user!.userId,
      ahead_of_confirmation: request.credentialConfirmation !== null,
    }));
    scope.get('/api/v4/test/missing', { config: readOnly }, async () => {
      throw notFound('nothing here');
    });
    scope.get('/api/v4/test/writes', async (request) => ({
      ahead_of_confirmation: request.credentialConfirmation !== null,
    }));
  });
  await app.register(async (scope) => {
    usePlugnmeetFamily(scope);
    scope.post('/auth/test/whoami', { config: readOnly }, async (request) => ({
      status: true,
      msg: 'success',
      account_id: request.apiClient!.accountId,
      ahead_of_confirmation: request.credentialConfirmation !== null,
    }));
  });
}

const start = (t: Parameters<typeof startCustomServer>[0], engine: (typeof ENGINES)[number]) =>
  startCustomServer(t, engine, addProbeRoutes, undefined, { answerBeforeConfirmation: true });

const signedFetch = (url: string, body = '{}', secret = API_KEY.secret) =>
  call(url, 'POST', '/auth/test/whoami', {
    headers: {
      'content-type': 'application/json',
      'api-key': API_KEY.key,
      'hash-signature': hmacSha256Hex(secret, body),
    },
    body,
  });

for (const engine of ENGINES) {
  describe(`answers before the credential is confirmed [${engine}]`, () => {
    test('a token verified once runs ahead; after logout its answers become 401, even a 404', async (t) => {
      const { url } = await start(t, engine);
      const session = await loginAs(url, ADMIN.username, ADMIN.password);
      const first = await call(url, 'GET', '/api/v4/test/whoami', { headers: bearer(session) });
      assert.deepEqual(first.body, { user_id: Number(session.userId), ahead_of_confirmation: false });
      const second = await call(url, 'GET', '/api/v4/test/whoami', { headers: bearer(session) });
      assert.deepEqual(second.body, { user_id: Number(session.userId), ahead_of_confirmation: true });
      // A route that may write never runs ahead.
      const writes = await call(url, 'GET', '/api/v4/test/writes', { headers: bearer(session) });
      assert.deepEqual(writes.body, { ahead_of_confirmation: false });

      const other = await loginAs(url, ADMIN.username, ADMIN.password);
      assert.equal((await call(url, 'POST', '/api/v1/logout', { headers: rcHeaders(session) })).status, 200);
      for (const path of ['/api/v4/test/whoami', '/api/v4/test/missing']) {
        const answer = await call(url, 'GET', path, { headers: bearer(session) });
        assert.equal(answer.status, 401, path);
        assert.deepEqual(answer.body, { error: 'You must be logged in to do this.', code: 'unauthorized' });
      }
      // The refused token is forgotten: the next request waits for its check.
      const again = await call(url, 'GET', '/api/v4/test/whoami', { headers: bearer(session) });
      assert.equal(again.status, 401);
      // The same user's other token is unaffected; a 404 stays a 404 when the credential holds.
      const stillIn = await call(url, 'GET', '/api/v4/test/whoami', { headers: bearer(other) });
      assert.equal(stillIn.status, 200);
      const missing = await call(url, 'GET', '/api/v4/test/missing', { headers: bearer(other) });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { error: 'nothing here', code: 'not_found' });
    });

    test('a user deactivated after a verified request gets 401 (Rocket.Chat headers)', async (t) => {
      const { url, app } = await start(t, engine);
      await createUser(app.db, { accountId: 1, username: 'leaver', password: 'leaver-password', roles: ['analyst'] });
      const session = await loginAs(url, 'leaver', 'leaver-password');
      assert.equal((await call(url, 'GET', '/api/v4/test/whoami', { headers: rcHeaders(session) })).status, 200);
      const ahead = await call(url, 'GET', '/api/v4/test/whoami', { headers: rcHeaders(session) });
      assert.equal(ahead.body.ahead_of_confirmation, true);
      // X-User-Id of someone else never runs ahead as the token's user.
      const wrongId = await call(url, 'GET', '/api/v4/test/whoami', {
        headers: { ...rcHeaders(session), 'x-user-id': '1' },
      });
      assert.equal(wrongId.status, 401);
      await deactivateUser(app.db, 'leaver');
      const answer = await call(url, 'GET', '/api/v4/test/whoami', { headers: rcHeaders(session) });
      assert.equal(answer.status, 401);
      assert.deepEqual(answer.body, { error: 'You must be logged in to do this.', code: 'unauthorized' });
    });

    test('a signed call runs ahead with a known key; a revoked key gets plugNmeet’s 401', async (t) => {
      const { url, app } = await start(t, engine);
      assert.equal((await signedFetch(url)).body.ahead_of_confirmation, false);
      const ahead = await signedFetch(url, '{"room_ids":["r1"]}');
      assert.deepEqual(ahead.body, { status: true, msg: 'success', account_id: 1, ahead_of_confirmation: true });
      // A wrong signature never runs ahead; it waits for the check and fails it.
      const forged = await signedFetch(url, '{}', 'not-the-secret');
      assert.equal(forged.status, 401);
      assert.equal(forged.body.status_code, 'INVALID_TOKEN_OR_SIGNATURE');
      await revokeApiKey(app.db, API_KEY.key);
      const revoked = await signedFetch(url);
      assert.equal(revoked.status, 401);
      assert.deepEqual(revoked.body, {
        status: false,
        msg: 'Invalid API key provided.',
        status_code: 'INVALID_API_KEY',
      });
    });

    test('statistics.list runs ahead for a verified token; after logout it answers Rocket.Chat’s 401', async (t) => {
      const { url } = await start(t, engine);
      const session = await loginAs(url, ADMIN.username, ADMIN.password);
      for (let i = 0; i < 2; i++) {
        const listed = await call(url, 'GET', '/api/v1/statistics.list?count=1', { headers: rcHeaders(session) });
        assert.equal(listed.status, 200);
        assert.equal(listed.body.success, true);
      }
      assert.equal((await call(url, 'POST', '/api/v1/logout', { headers: rcHeaders(session) })).status, 200);
      const refused = await call(url, 'GET', '/api/v1/statistics.list?count=1', { headers: rcHeaders(session) });
      // The same 401 as a token never seen, which waits for its check.
      const unknown = await call(url, 'GET', '/api/v1/statistics.list?count=1', {
        headers: { ...rcHeaders(session), 'x-auth-token': 'never-issued' },
      });
      assert.equal(unknown.status, 401);
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, unknown.body);
      assert.equal(refused.body.message, 'You must be logged in to do this.');
      assert.equal(refused.headers.get('cache-control'), null);
    });
  });
}
