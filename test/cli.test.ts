import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { hmacSha256Hex } from '../src/auth/crypto.js';
import { usePlugnmeetFamily } from '../src/http/plugnmeet.js';
import { runCli } from './helpers/cli.js';
import { ENGINES, scratchDatabase } from './helpers/engines.js';
import { call, loginAs, startCustomServer, testConfig } from './helpers/server.js';
import { startServer } from '../src/main.js';
import { placeFile, signedPost } from './recordings/fixtures.js';

async function signedEcho(app: FastifyInstance) {
  await app.register(async (scope) => {
    usePlugnmeetFamily(scope);
    scope.post('/auth/test/echo', async (request) => ({ status: true, account_id: request.apiClient?.accountId }));
  });
}

for (const engine of ENGINES) {
  describe(`recap CLI [${engine}]`, () => {
    test('users create / token / list / deactivate and keys create / list / revoke give identities that work', async (t) => {
      const scratch = await scratchDatabase(engine);
      const env = {
        RECAP_DATABASE_URL: scratch.url,
        RECAP_DATA_DIR: scratch.dataDir,
        RECAP_ADMIN_PASSWORD: 'first-admin-pw',
      };

      const created = await runCli(
        [
          'users',
          'create',
          'dora',
          '--password',
          'dora-password',
          '--first-name',
          'Dora',
          '--roles',
          'manager,analyst',
        ],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      // The first command on an empty database performs the first start and says so.
      assert.match(created.stdout, /Recap first start/);
      assert.match(created.stdout, /created user dora \(id 2, account 1, roles manager,analyst\)/);

      const generated = await runCli(['users', 'create', 'eve'], env);
      assert.equal(generated.code, 0, generated.stderr);
      const evePassword = /password: (\S+)/.exec(generated.stdout)?.[1];
      assert.ok(evePassword);

      const token = await runCli(['users', 'token', 'dora', '--ttl', '1d'], env);
      assert.equal(token.code, 0, token.stderr);
      const userId = /userId: (\d+)/.exec(token.stdout)?.[1];
      const raw = /token: (\S+)/.exec(token.stdout)?.[1];
      assert.ok(userId && raw);

      const key = await runCli(['keys', 'create', '--description', 'conference server'], env);
      assert.equal(key.code, 0, key.stderr);
      const apiKey = /API key: (\S+)/.exec(key.stdout)?.[1] ?? assert.fail('no API key printed');
      const apiSecret = /API secret: (\S+)/.exec(key.stdout)?.[1] ?? assert.fail('no API secret printed');

      const listed = await runCli(['keys', 'list'], env);
      assert.match(listed.stdout, new RegExp(apiKey));
      assert.ok(!listed.stdout.includes(apiSecret), 'keys list must not print secrets');
      const users = await runCli(['users', 'list'], env);
      assert.match(users.stdout, /dora\s+Dora\s+manager,analyst\s+yes/);

      const { url } = await startCustomServer(t, engine, signedEcho, scratch);
      const me = await call(url, 'GET', '/api/v1/me', { headers: { 'x-user-id': userId, 'x-auth-token': raw } });
      assert.equal(me.status, 200);
      assert.equal(me.body.username, 'dora');
      assert.ok(await loginAs(url, 'eve', evePassword));
      const body = '{"room_ids":["r1"]}';
      const signedCall = await call(url, 'POST', '/auth/test/echo', {
        headers: {
          'content-type': 'application/json',
          'api-key': apiKey,
          'hash-signature': hmacSha256Hex(apiSecret, body),
        },
        body,
      });
      assert.equal(signedCall.status, 200);
      assert.equal(signedCall.body.account_id, 1);

      const revoke = await runCli(['keys', 'revoke', apiKey], env);
      assert.equal(revoke.code, 0, revoke.stderr);
      const revoked = await call(url, 'POST', '/auth/test/echo', {
        headers: {
          'content-type': 'application/json',
          'api-key': apiKey,
          'hash-signature': hmacSha256Hex(apiSecret, body),
        },
        body,
      });
      assert.equal(revoked.status, 401);

      assert.equal((await runCli(['users', 'deactivate', 'dora'], env)).code, 0);
      assert.equal(
        (await call(url, 'GET', '/api/v1/me', { headers: { 'x-user-id': userId, 'x-auth-token': raw } })).status,
        401,
      );
    });

    test('errors are one line on stderr with exit code 1', async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      const env = { RECAP_DATABASE_URL: scratch.url, RECAP_DATA_DIR: scratch.dataDir };
      const dup = await runCli(['users', 'create', 'admin', '--password', 'whatever-pw'], env);
      assert.equal(dup.code, 1);
      assert.equal(dup.stderr.trim(), 'recap: username "admin" is taken');
      const missing = await runCli(['users', 'token', 'ghost'], env);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr.trim(), 'recap: user "ghost" not found');
      const badRole = await runCli(['users', 'create', 'x', '--roles', 'wizard'], env);
      assert.equal(badRole.code, 1);
      assert.match(badRole.stderr, /roles are a comma-separated list/);
    });
  });
}

describe('recap secrets rotate', () => {
  test('download tokens issued before a rotation stop working after the restart; new ones work', async (t) => {
    const scratch = await scratchDatabase('sqlite');
    const config = testConfig(scratch.url, scratch.dataDir);
    t.after(() => scratch.drop());
    const first = await startServer(config, { logger: false });
    placeFile(scratch.dataDir, 'r/a.mp4', Buffer.from('video'));
    await signedPost(first.url, '/auth/recording/add', {
      room_id: 'r',
      room_sid: 's',
      record_id: 'a',
      file_path: 'r/a.mp4',
    });
    const tokenOf = async (url: string) =>
      (await signedPost(url, '/auth/recording/getDownloadToken', { record_id: 'a' })).body.token as string;
    const before = await tokenOf(first.url);
    assert.equal((await fetch(`${first.url}/download/recording/${before}`)).status, 200);
    await first.close();

    const rotated = await runCli(['secrets', 'rotate'], {
      RECAP_DATABASE_URL: scratch.url,
      RECAP_DATA_DIR: scratch.dataDir,
    });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /rotated: file-tokens, image-urls/);

    const second = await startServer(config, { logger: false });
    t.after(() => second.close());
    assert.equal((await fetch(`${second.url}/download/recording/${before}`)).status, 401);
    assert.equal((await fetch(`${second.url}/download/recording/${await tokenOf(second.url)}`)).status, 200);
  });
});
