import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { hmacSha256Hex } from '../../src/auth/crypto.js';
import { usePlugnmeetFamily } from '../../src/http/plugnmeet.js';
import { ENGINES } from '../helpers/engines.js';
import { API_KEY, call, startCustomServer } from '../helpers/server.js';

const SECRET = API_KEY.secret;

describe('plugNmeet HASH-SIGNATURE', () => {
  test('matches the reference test vectors (lowercase hex HMAC-SHA256 of the raw body)', () => {
    assert.equal(
      hmacSha256Hex(SECRET, '{"room_ids":["room01"],"from":0,"limit":20,"order_by":"DESC"}'),
      'ce2c9734538410c5b2b69f564029e06436090d3e983805e08cb2abab07e93736',
    );
    assert.equal(hmacSha256Hex(SECRET, '{}'), 'd2a7003d22b6b6f94519230776f45e19d2086b20d1711a8eae6b0ee24d51cfeb');
    assert.equal(hmacSha256Hex(SECRET, ''), '2ae261611f37f61d3aa5f83dbadfeaa0a299b4c9c6cb142cfd9675388e422ab7');
  });
});

/** A signed route that echoes what the hook let through, inside the plugNmeet family scope. */
async function addEchoRoute(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    usePlugnmeetFamily(scope);
    scope.post('/auth/test/echo', async (request) => ({
      status: true,
      msg: 'success',
      status_code: 'SUCCESS',
      account_id: request.apiClient?.accountId,
      body: request.body ?? null,
    }));
  });
}

function signed(body: string, headers: Record<string, string> = {}) {
  return {
    'content-type': 'application/json',
    'api-key': API_KEY.key,
    'hash-signature': hmacSha256Hex(SECRET, body),
    ...headers,
  };
}

/** Sends a body with Transfer-Encoding: chunked and no Content-Length, as plugnmeet-sdk-js does. */
function postChunked(
  url: string,
  headers: Record<string, string>,
  chunks: string[],
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

for (const engine of ENGINES) {
  describe(`plugNmeet API-KEY + HASH-SIGNATURE hook [${engine}]`, () => {
    test('a correctly signed body passes, with the key’s account attached', async (t) => {
      const { url } = await startCustomServer(t, engine, addEchoRoute);
      const body = '{"room_ids":["room01"],"from":0,"limit":20,"order_by":"DESC"}';
      const response = await call(url, 'POST', '/auth/test/echo', { headers: signed(body), body });
      assert.equal(response.status, 200);
      assert.equal(response.body.status, true);
      assert.equal(response.body.account_id, 1);
      assert.deepEqual(response.body.body, JSON.parse(body));
    });

    test('the four 401 bodies, in plugNmeet’s order of checks', async (t) => {
      const { url } = await startCustomServer(t, engine, addEchoRoute);
      const body = '{}';
      const cases: [Record<string, string>, object][] = [
        [
          { 'content-type': 'application/json' },
          { status: false, msg: 'Missing API-KEY header.', status_code: 'MISSING_REQUIRED_PARAMETER' },
        ],
        [
          signed(body, { 'api-key': 'wrong' }),
          { status: false, msg: 'Invalid API key provided.', status_code: 'INVALID_API_KEY' },
        ],
        [
          { 'content-type': 'application/json', 'api-key': API_KEY.key },
          { status: false, msg: 'Missing HASH-SIGNATURE header.', status_code: 'MISSING_REQUIRED_PARAMETER' },
        ],
        [
          signed(body, { 'hash-signature': 'a'.repeat(64) }),
          {
            status: false,
            msg: 'Failed to verify provided authentication details.',
            status_code: 'INVALID_TOKEN_OR_SIGNATURE',
          },
        ],
        // A wrong key is reported before a missing signature.
        [
          { 'content-type': 'application/json', 'api-key': 'wrong' },
          { status: false, msg: 'Invalid API key provided.', status_code: 'INVALID_API_KEY' },
        ],
      ];
      for (const [headers, expected] of cases) {
        const response = await call(url, 'POST', '/auth/test/echo', { headers, body });
        assert.equal(response.status, 401, JSON.stringify(headers));
        assert.deepEqual(response.body, expected);
        assert.deepEqual(Object.keys(response.body), ['status', 'msg', 'status_code']);
      }
    });

    test('an uppercase-hex signature is rejected; so is a signature over a different body', async (t) => {
      const { url } = await startCustomServer(t, engine, addEchoRoute);
      const body = '{"room_ids":["room01"]}';
      const upper = await call(url, 'POST', '/auth/test/echo', {
        headers: signed(body, { 'hash-signature': hmacSha256Hex(SECRET, body).toUpperCase() }),
        body,
      });
      assert.equal(upper.status, 401);
      assert.equal(upper.body.status_code, 'INVALID_TOKEN_OR_SIGNATURE');
      // Same JSON, different bytes: the signature is over the raw body, not its meaning.
      const respaced = await call(url, 'POST', '/auth/test/echo', {
        headers: signed(body),
        body: '{"room_ids": ["room01"]}',
      });
      assert.equal(respaced.status, 401);
    });

    test('an empty body is signed as the empty string', async (t) => {
      const { url } = await startCustomServer(t, engine, addEchoRoute);
      const response = await call(url, 'POST', '/auth/test/echo', {
        headers: {
          'api-key': API_KEY.key,
          'hash-signature': '2ae261611f37f61d3aa5f83dbadfeaa0a299b4c9c6cb142cfd9675388e422ab7',
        },
      });
      assert.equal(response.status, 200);
      assert.equal(response.body.body, null);
    });

    test('a chunked body without Content-Length is verified over its reassembled bytes', async (t) => {
      const { url } = await startCustomServer(t, engine, addEchoRoute);
      const chunks = ['{"room_ids":', '["room01","room02"],', '"limit":5}'];
      const response = await postChunked(`${url}/auth/test/echo`, signed(chunks.join('')), chunks);
      assert.equal(response.status, 200);
      assert.deepEqual((response.body as { body: unknown }).body, { room_ids: ['room01', 'room02'], limit: 5 });
    });

    test('a signed body that is not JSON is a business error, after authentication', async (t) => {
      const { url } = await startCustomServer(t, engine, addEchoRoute);
      const body = '{"room_ids":';
      const unsigned = await call(url, 'POST', '/auth/test/echo', {
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(unsigned.status, 401);
      const response = await call(url, 'POST', '/auth/test/echo', { headers: signed(body), body });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        status: false,
        msg: 'request body is not valid JSON',
        status_code: 'INVALID_PARAMETERS',
      });
      const poisoned = '{"__proto__":{"admin":true}}';
      const proto = await call(url, 'POST', '/auth/test/echo', { headers: signed(poisoned), body: poisoned });
      assert.equal(proto.body.status_code, 'INVALID_PARAMETERS');
    });

    test('a revoked key is refused', async (t) => {
      const { url, app } = await startCustomServer(t, engine, addEchoRoute);
      await app.db.updateTable('api_keys').set({ revoked_at: Date.now() }).where('api_key', '=', API_KEY.key).execute();
      const response = await call(url, 'POST', '/auth/test/echo', { headers: signed('{}'), body: '{}' });
      assert.equal(response.status, 401);
      assert.equal(response.body.status_code, 'INVALID_API_KEY');
    });

    test('a body over the limit is refused with 413 in the plugNmeet envelope', async (t) => {
      const { url } = await startCustomServer(t, engine, addEchoRoute);
      const body = JSON.stringify({ room_ids: ['x'.repeat(1024 * 1024 + 10)] });
      const response = await call(url, 'POST', '/auth/test/echo', { headers: signed(body), body });
      assert.equal(response.status, 413);
      assert.equal(response.body.status, false);
    });
  });
}
