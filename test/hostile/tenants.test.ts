import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createSigner } from 'fast-jwt';
import sharp from 'sharp';
import { createAccount, createApiKey, revokeApiKey } from '../../src/auth/service.js';
import { T0 } from '../sessions/fixtures.js';
import { signedPost } from '../recordings/fixtures.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, API_KEY, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/**
 * A second tenant tries every way it has at the first tenant's stored files: tokens it signs
 * itself for every stored path shape and object id, its own API calls with the first tenant's ids
 * and paths, and uploads and room events that collide with the first tenant's. Nothing of account
 * 1 may be read, changed or registered.
 */

type Key = { key: string; secret: string };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Every file under a directory, with its hash: the first tenant's files must not change. */
function snapshot(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath ?? entry.path, entry.name);
      files.set(path, sha(readFileSync(path)));
    }
  }
  return files;
}

for (const engine of ENGINES) {
  describe(`tenant isolation of stored files [${engine}]`, () => {
    test('another account reads, replaces and registers none of account 1’s files, by any token or call', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      const db = server.database.db;
      const A: Key = { key: API_KEY.key, secret: API_KEY.secret };
      await createAccount(db, 'Second tenant');
      const b = await createApiKey(db, { accountId: 2, apiKey: 'tenant-b', apiSecret: 'tenant-b-secret-0123456789' });
      const B: Key = { key: b.apiKey, secret: b.apiSecret };
      const upload = async (key: Key, recordId: string, bytes: Buffer) => {
        const { token } = (
          await signedPost(
            server.url,
            '/auth/recording/getUploadToken',
            { room_id: 'roomA', room_sid: 'sidA', record_id: recordId, file_name: 'recA.mp4' },
            key,
          )
        ).body;
        const response = await fetch(`${server.url}/upload/recording/${token}`, { method: 'PUT', body: bytes });
        return (await response.json()) as { status: boolean; recording_info: { file_path: string } };
      };

      // Account 1: a recording, an analytics file, a report image.
      const secretA = Buffer.from('account 1 recording bytes, never to be seen by account 2');
      assert.equal((await upload(A, 'rec-A-1', secretA)).recording_info.file_path, 'roomA/rec-A-1/recA.mp4');
      const events = (participant: string, sid = 'RM_shared') => [
        { id: 'same-id-1', event: 'room_started', room_id: 'roomA', room_sid: sid, time: T0 },
        {
          id: 'same-id-2',
          event: 'participant_joined',
          room_id: 'roomA',
          room_sid: sid,
          time: T0 + 1000,
          user_id: participant,
          name: participant,
        },
        { id: 'same-id-3', event: 'room_finished', room_id: 'roomA', room_sid: sid, time: T0 + 60_000 },
      ];
      assert.equal(
        (await signedPost(server.url, '/auth/room/events', { events: events('only-in-account-1') }, A)).body.stored,
        3,
      );
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const channel = (
        await call(server.url, 'POST', '/api/v4/channels', { headers: bearer(admin), body: { name: 'Field' } })
      ).body;
      const report = (
        await call(server.url, 'POST', '/api/v4/reports', { headers: bearer(admin), body: { channel_id: channel.id } })
      ).body;
      const png = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#123456' } })
        .png()
        .toBuffer();
      const image = await fetch(`${server.url}/api/v4/reports/${report.id}/images`, {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'image/png' },
        body: png,
      });
      assert.equal(image.status, 201);
      const filesOfA = snapshot(join(server.config.dataDir, 'files'));
      const bytesOfA = new Set([...filesOfA.values()]);
      const paths = [...filesOfA.keys()].map((p) => p.slice(join(server.config.dataDir, 'files').length + 1));
      assert.ok(
        paths.some((p) => p.startsWith('recordings/1/')) &&
          paths.some((p) => p.startsWith('analytics/1/')) &&
          paths.some((p) => p.startsWith('report-images/1/')),
        paths.join(),
      );
      const rowIds = await db.selectFrom('recordings').select('id').execute();
      const fileIds = await db.selectFrom('analytics_files').select('id').execute();

      let leaks = 0;
      let attempts = 0;
      const tryDownload = async (kind: 'recording' | 'analytics', token: string) => {
        attempts++;
        const response = await fetch(`${server.url}/download/${kind}/${token}`);
        const body = Buffer.from(await response.arrayBuffer());
        if (response.status === 200 || bytesOfA.has(sha(body))) leaks++;
        assert.ok([401, 404].includes(response.status), `${kind} ${token}: ${response.status}`);
      };

      // 1. Tokens account 2 signs itself: plugNmeet's form (a path as sub) for every stored path
      // shape, and Recap's claims naming account 1's objects.
      const now = Math.floor(Date.now() / 1000);
      const signB = createSigner({ key: B.secret });
      const legacyShapes = paths.flatMap((p) => [
        p,
        p.replace(/^(recordings|analytics|report-images)\/1\//, '$1/'),
        `../${p}`,
        `/${p}`,
      ]);
      for (const sub of legacyShapes) {
        for (const kind of ['recording', 'analytics'] as const)
          await tryDownload(kind, signB({ iss: B.key, sub, nbf: now, exp: now + 600 }));
      }
      for (const { id } of [...rowIds, ...fileIds]) {
        for (const acc of [1, 2]) {
          for (const kind of ['recording', 'analytics'] as const) {
            await tryDownload(kind, signB({ iss: B.key, kind, acc, obj: Number(id), nbf: now, exp: now + 600 }));
            await tryDownload(kind, signB({ iss: A.key, kind, acc, obj: Number(id), nbf: now, exp: now + 600 }));
          }
        }
      }

      // 2. Upload tokens account 2 signs itself, with account 1's path or account.
      for (const data of [
        { file_path: 'roomA/rec-A-1/recA.mp4', record_id: 'x', room_id: 'roomA', room_sid: 'sidA' },
        { room_id: 'roomA', room_sid: 'sidA', record_id: 'rec-A-1', file_name: 'recA.mp4' },
      ]) {
        for (const claims of [
          { iss: B.key, sub: 'recordings/roomA/rec-A-1/recA.mp4', use: 'upload', data },
          { iss: B.key, kind: 'upload', acc: 1, data },
          { iss: B.key, kind: 'upload', acc: 2, data },
        ]) {
          attempts++;
          const response = await fetch(
            `${server.url}/upload/recording/${signB({ ...claims, nbf: now, exp: now + 600 })}`,
            { method: 'PUT', body: 'overwritten by account 2' },
          );
          assert.equal(response.status, 401);
        }
      }

      // 3. Account 2's own calls with account 1's ids and paths.
      for (const path of ['/auth/recording/info', '/auth/recording/getDownloadToken', '/auth/recording/delete']) {
        attempts++;
        assert.equal((await signedPost(server.url, path, { record_id: 'rec-A-1' }, B)).body.status_code, 'NOT_FOUND');
      }
      for (const path of ['/auth/analytics/getDownloadToken', '/auth/analytics/delete']) {
        attempts++;
        assert.equal((await signedPost(server.url, path, { file_id: 'RM_shared' }, B)).body.status_code, 'NOT_FOUND');
      }
      const ownDir = join(server.config.dataDir, 'files/recordings/2/links');
      mkdirSync(ownDir, { recursive: true });
      symlinkSync(join(server.config.dataDir, 'files/recordings/1/roomA/rec-A-1/recA.mp4'), join(ownDir, 'link.mp4'));
      for (const file_path of [
        'roomA/rec-A-1/recA.mp4',
        '../1/roomA/rec-A-1/recA.mp4',
        '../../recordings/1/roomA/rec-A-1/recA.mp4',
        '/recordings/1/roomA/rec-A-1/recA.mp4',
        'links/link.mp4',
        'links/../../1/roomA/rec-A-1/recA.mp4',
      ]) {
        attempts++;
        const added = await signedPost(
          server.url,
          '/auth/recording/add',
          { room_id: 'roomA', room_sid: 'sidA', record_id: `b-${attempts}`, file_path },
          B,
        );
        assert.equal(added.body.status_code, 'INVALID_PARAMETERS', file_path);
      }

      // 4. Account 2 uploads with account 1's room, session and record ids: its own file.
      const secretB = Buffer.from('account 2 bytes');
      assert.equal((await upload(B, 'rec-A-1', secretB)).recording_info.file_path, 'roomA/rec-A-1/recA.mp4');
      const tokenOf = async (key: Key) =>
        (await signedPost(server.url, '/auth/recording/getDownloadToken', { record_id: 'rec-A-1' }, key)).body
          .token as string;
      assert.deepEqual(
        Buffer.from(await (await fetch(`${server.url}/download/recording/${await tokenOf(B)}`)).arrayBuffer()),
        secretB,
      );
      assert.deepEqual(
        Buffer.from(await (await fetch(`${server.url}/download/recording/${await tokenOf(A)}`)).arrayBuffer()),
        secretA,
      );

      // 5. Account 2's events for the same room and session, with the same event ids: a session of its own.
      assert.equal(
        (await signedPost(server.url, '/auth/room/events', { events: events('only-in-account-2') }, B)).body.stored,
        3,
      );
      const analyticsOf = async (key: Key) => {
        const { token } = (
          await signedPost(server.url, '/auth/analytics/getDownloadToken', { file_id: 'RM_shared' }, key)
        ).body;
        return (await (await fetch(`${server.url}/download/analytics/${token}`)).json()) as {
          users: { user_id: string }[];
        };
      };
      assert.deepEqual(
        (await analyticsOf(A)).users.map((u) => u.user_id),
        ['only-in-account-1'],
      );
      assert.deepEqual(
        (await analyticsOf(B)).users.map((u) => u.user_id),
        ['only-in-account-2'],
      );

      // Deleting account 2's recording removes its own file only.
      assert.equal(
        (await signedPost(server.url, '/auth/recording/delete', { record_id: 'rec-A-1' }, B)).body.status,
        true,
      );

      // Revoking a key revokes the tokens issued to it, even for objects of the same account.
      const c = await createApiKey(db, {
        accountId: 1,
        apiKey: 'tenant-a-second',
        apiSecret: 'tenant-a-second-secret-01',
      });
      const issuedToC = await tokenOf({ key: c.apiKey, secret: c.apiSecret });
      assert.equal((await fetch(`${server.url}/download/recording/${issuedToC}`)).status, 200);
      await revokeApiKey(db, c.apiKey);
      assert.equal((await fetch(`${server.url}/download/recording/${issuedToC}`)).status, 401);

      const after = snapshot(join(server.config.dataDir, 'files'));
      for (const [path, hash] of filesOfA)
        assert.equal(after.get(path), hash, `account 1's ${path} changed or vanished`);
      t.diagnostic(`${attempts} attempts by another account: ${leaks} leaks, 0 changed bytes of account 1`);
      assert.equal(leaks, 0);
    });
  });
}
