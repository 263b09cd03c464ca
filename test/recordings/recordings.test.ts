import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { revokeApiKey } from '../../src/auth/service.js';
import { connect } from '../../src/db/connection.js';
import { findRecording, insertRecording } from '../../src/recordings/repository.js';
import { signFileToken } from '../../src/storage/tokens.js';
import { findApiClient } from '../../src/auth/service.js';
import { createSigner } from 'fast-jwt';
import { ENGINES } from '../helpers/engines.js';
import { API_KEY, call, startTestServer } from '../helpers/server.js';
import { order, placeFile, seedRoom, signedPost, type Row } from './fixtures.js';

for (const engine of ENGINES) {
  describe(`recordings API [${engine}]`, () => {
    test('fetch: defaults, totals, deterministic order, paging without overlap or gap', async (t) => {
      const server = await startTestServer(t, engine);
      await seedRoom(server.url, server.config.dataDir, 'alpha', 23);
      await seedRoom(server.url, server.config.dataDir, 'beta', 12, 1_760_000_030);
      const all: Row[] = [];
      for (let from = 0; ; from += 7) {
        const page = await signedPost(server.url, '/auth/recording/fetch', {
          room_ids: ['alpha', 'beta', 'nope'],
          from,
          limit: 7,
        });
        assert.equal(page.body.status, true);
        assert.equal(page.body.result.total_recordings, 35);
        if (page.body.result.recordings_list.length === 0) break;
        all.push(...page.body.result.recordings_list);
      }
      assert.equal(all.length, 35);
      assert.equal(new Set(all.map((r) => r.record_id)).size, 35);
      assert.deepEqual(all, order(all, 'DESC'));

      const defaults = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['alpha'] });
      assert.deepEqual(Object.keys(defaults.body), ['status', 'msg', 'status_code', 'result']);
      assert.equal(defaults.body.msg, 'success');
      assert.equal(defaults.body.status_code, 'SUCCESS');
      const result = defaults.body.result;
      assert.deepEqual(
        { total: result.total_recordings, from: result.from, limit: result.limit, order: result.order_by },
        { total: 23, from: 0, limit: 20, order: 'DESC' },
      );
      const first = result.recordings_list[0];
      assert.deepEqual(Object.keys(first), [
        'record_id',
        'room_id',
        'room_sid',
        'file_path',
        'file_size',
        'creation_time',
        'room_creation_time',
        'metadata',
      ]);
      assert.equal(typeof first.file_size, 'number');
      assert.equal(typeof first.creation_time, 'number');
      assert.deepEqual(first.metadata, { title: '', description: '', subtitles: {}, extra_data: {} });

      const asc = await signedPost(server.url, '/auth/recording/fetch', {
        room_ids: ['alpha', 'beta'],
        order_by: 'asc',
        limit: 100,
      });
      assert.equal(asc.body.result.order_by, 'ASC');
      assert.deepEqual(asc.body.result.recordings_list, order(all, 'ASC'));

      const past = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['alpha'], from: 23 });
      assert.equal(past.body.status, true);
      assert.deepEqual(past.body.result.recordings_list, []);
      assert.equal(past.body.result.total_recordings, 23);
    });

    test('fetch: room_sid filter, lowerCamel keys, limit clamp, nulls as absent', async (t) => {
      const server = await startTestServer(t, engine);
      await seedRoom(server.url, server.config.dataDir, 'gamma', 25);
      const bySid = await signedPost(server.url, '/auth/recording/fetch', { room_sid: 'gamma-sid-1' });
      assert.equal(bySid.body.result.total_recordings, 10);
      assert.ok(bySid.body.result.recordings_list.every((r: { room_sid: string }) => r.room_sid === 'gamma-sid-1'));
      const both = await signedPost(server.url, '/auth/recording/fetch', {
        room_ids: ['other'],
        room_sid: 'gamma-sid-1',
      });
      assert.equal(both.body.status_code, 'NOT_FOUND');
      const camel = await signedPost(server.url, '/auth/recording/fetch', {
        roomIds: ['gamma'],
        orderBy: 'Asc',
        limit: 500,
        from: null,
        unknown: 1,
      });
      assert.equal(camel.body.result.limit, 100);
      assert.equal(camel.body.result.order_by, 'ASC');
      assert.equal(camel.body.result.recordings_list.length, 25);
      const zero = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['gamma'], limit: 0 });
      assert.equal(zero.body.result.limit, 20);
    });

    test('fetch: invalid parameters and not found', async (t) => {
      const server = await startTestServer(t, engine);
      const bad: unknown[] = [
        {},
        { room_ids: [] },
        { room_ids: 'room01' },
        { room_ids: ['r'], order_by: 'sideways' },
        { room_ids: ['r'], from: -1 },
        { room_ids: ['r'], from: '5' },
        { room_ids: ['r'], limit: -3 },
        { room_ids: Array.from({ length: 501 }, (_, i) => `r${i}`) },
      ];
      for (const body of bad) {
        const response = await signedPost(server.url, '/auth/recording/fetch', body);
        assert.equal(response.status, 200, JSON.stringify(body));
        assert.equal(response.body.status, false, JSON.stringify(body));
        assert.equal(response.body.status_code, 'INVALID_PARAMETERS', JSON.stringify(body));
      }
      const none = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['empty'] });
      assert.deepEqual(none.body, { status: false, msg: 'no recordings found', status_code: 'NOT_FOUND' });
    });

    test('info, updateMetadata (patch semantics), delete (row and file)', async (t) => {
      const server = await startTestServer(t, engine);
      placeFile(server.config.dataDir, 'r1/a.mp4', Buffer.alloc(64, 1));
      const add = await signedPost(server.url, '/auth/recording/add', {
        room_id: 'r1',
        room_sid: 's1',
        record_id: 'rec-a',
        file_path: 'r1/a.mp4',
        room_title: 'Weekly',
        metadata: {
          title: 'T',
          description: 'D',
          subtitles: {
            en: { label: 'English', url: 'https://x/en.vtt' },
            de: { label: 'Deutsch', url: 'https://x/de.vtt' },
          },
          extra_data: { a: '1', b: '2' },
        },
      });
      assert.equal(add.body.record_id, 'rec-a');
      assert.equal(add.body.recording_info.file_size, 64);
      const patch = await signedPost(server.url, '/auth/recording/updateMetadata', {
        recordId: 'rec-a',
        metadata: {
          description: '',
          subtitles: { de: { label: '', url: 'x' }, fr: { label: 'Français', url: 'https://x/fr.vtt' } },
          extraData: { a: '', c: '3' },
        },
      });
      assert.deepEqual(patch.body, { status: true, msg: 'success', status_code: 'SUCCESS' });
      const info = await signedPost(server.url, '/auth/recording/info', { record_id: 'rec-a' });
      assert.deepEqual(info.body.recording_info.metadata, {
        title: 'T',
        description: '',
        subtitles: {
          en: { label: 'English', url: 'https://x/en.vtt' },
          fr: { label: 'Français', url: 'https://x/fr.vtt' },
        },
        extra_data: { b: '2', c: '3' },
      });
      assert.equal(info.body.room_info.room_title, 'Weekly');
      const del = await signedPost(server.url, '/auth/recording/delete', { record_id: 'rec-a' });
      assert.equal(del.body.status, true);
      assert.ok(!existsSync(join(server.config.dataDir, 'files/recordings/1/r1/a.mp4')));
      assert.equal(
        (await signedPost(server.url, '/auth/recording/info', { record_id: 'rec-a' })).body.status_code,
        'NOT_FOUND',
      );
      assert.equal(
        (await signedPost(server.url, '/auth/recording/delete', { record_id: 'rec-a' })).body.status_code,
        'NOT_FOUND',
      );
      assert.equal(
        (await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['r1'] })).body.status_code,
        'NOT_FOUND',
      );
    });

    test('fetch never answers from before a write: metadata update, a row added by another process, delete, a revoked key', async (t) => {
      const server = await startTestServer(t, engine);
      await seedRoom(server.url, server.config.dataDir, 'fresh', 3);
      const titles = async () => {
        const page = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['fresh'] });
        return page.body.status
          ? page.body.result.recordings_list.map(
              (r: { record_id: string; metadata: { title: string } }) => `${r.record_id}:${r.metadata.title}`,
            )
          : page.body.status_code;
      };
      assert.deepEqual(await titles(), ['fresh-rec-0002:', 'fresh-rec-0001:', 'fresh-rec-0000:']);
      assert.deepEqual(await titles(), ['fresh-rec-0002:', 'fresh-rec-0001:', 'fresh-rec-0000:']); // answered again, now cached on SQLite
      await signedPost(server.url, '/auth/recording/updateMetadata', {
        record_id: 'fresh-rec-0001',
        metadata: { title: 'Renamed' },
      });
      assert.deepEqual(await titles(), ['fresh-rec-0002:', 'fresh-rec-0001:Renamed', 'fresh-rec-0000:']);

      // Another process writing to the same database (a second instance, the CLI).
      const other = await connect(server.config.databaseUrl);
      t.after(() => other.close());
      await insertRecording(other.db, {
        account_id: 1,
        record_id: 'fresh-rec-0009',
        room_id: 'fresh',
        room_sid: 's',
        room_title: '',
        file_path: 'fresh/x.mp4',
        file_size: 1,
        creation_time: 1_800_000_000,
        room_creation_time: 1_800_000_000,
        metadata: '{"title":"Elsewhere"}',
        created_at: 0,
      });
      assert.deepEqual(await titles(), [
        'fresh-rec-0009:Elsewhere',
        'fresh-rec-0002:',
        'fresh-rec-0001:Renamed',
        'fresh-rec-0000:',
      ]);
      for (const id of ['fresh-rec-0009', 'fresh-rec-0002', 'fresh-rec-0001', 'fresh-rec-0000'])
        await signedPost(server.url, '/auth/recording/delete', { record_id: id });
      assert.equal(await titles(), 'NOT_FOUND');

      await revokeApiKey(other.db, API_KEY.key);
      const revoked = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['fresh'] });
      assert.equal(revoked.status, 401);
      assert.equal(revoked.body.status_code, 'INVALID_API_KEY');
    });

    test('add: idempotent on record_id, refuses different data, missing files and paths outside', async (t) => {
      const server = await startTestServer(t, engine);
      placeFile(server.config.dataDir, 'r2/b.mp4', Buffer.alloc(10));
      const body = {
        room_id: 'r2',
        room_sid: 's2',
        record_id: 'rec-b',
        file_path: 'r2/b.mp4',
        creation_time: 1_760_000_000,
      };
      assert.equal((await signedPost(server.url, '/auth/recording/add', body)).body.status, true);
      assert.equal((await signedPost(server.url, '/auth/recording/add', body)).body.status, true);
      const total = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['r2'] });
      assert.equal(total.body.result.total_recordings, 1);
      const different = await signedPost(server.url, '/auth/recording/add', { ...body, creation_time: 1_760_000_001 });
      assert.equal(different.body.status_code, 'INVALID_PARAMETERS');
      for (const file_path of ['r2/missing.mp4', '../../recap.db', '/etc/passwd', 'r2/../../x']) {
        const response = await signedPost(server.url, '/auth/recording/add', { ...body, record_id: 'x', file_path });
        assert.equal(response.body.status_code, 'INVALID_PARAMETERS', file_path);
      }
      const size = await signedPost(server.url, '/auth/recording/add', { ...body, record_id: 'y', file_size: 11 });
      assert.equal(size.body.status_code, 'INVALID_PARAMETERS');
      // A file has one owner: the same path under another record_id is refused.
      const twice = await signedPost(server.url, '/auth/recording/add', {
        room_id: 'r2',
        room_sid: 's2',
        record_id: 'rec-b2',
        file_path: 'r2/b.mp4',
      });
      assert.equal(twice.body.status_code, 'INVALID_PARAMETERS');
      assert.match(twice.body.msg, /already registered as record_id "rec-b"/);
      placeFile(server.config.dataDir, 'r2/c.mp4', Buffer.alloc(10));
      const generated = await signedPost(server.url, '/auth/recording/add', {
        room_id: 'r2',
        room_sid: 's2',
        file_path: 'r2/c.mp4',
      });
      assert.match(generated.body.record_id, /^s2-\d{13}$/);
    });

    test('download: token, Range 0-0, suffix, unsatisfiable, HEAD, expired, outside the root, missing file', async (t) => {
      const server = await startTestServer(t, engine);
      const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
      placeFile(server.config.dataDir, 'r3/c.mp4', bytes);
      await signedPost(server.url, '/auth/recording/add', {
        room_id: 'r3',
        room_sid: 's3',
        record_id: 'rec-c',
        file_path: 'r3/c.mp4',
      });
      const { token } = (await signedPost(server.url, '/auth/recording/getDownloadToken', { record_id: 'rec-c' })).body;
      const url = `${server.url}/download/recording/${token}`;

      const whole = await fetch(url);
      assert.equal(whole.status, 200);
      assert.equal(whole.headers.get('content-type'), 'video/mp4');
      assert.equal(whole.headers.get('content-length'), '100');
      assert.equal(whole.headers.get('accept-ranges'), 'bytes');
      assert.equal(whole.headers.get('content-disposition'), 'attachment; filename="c.mp4"');
      assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);

      const firstByte = await fetch(url, { headers: { range: 'bytes=0-0' } });
      assert.equal(firstByte.status, 206);
      assert.equal(firstByte.headers.get('content-range'), 'bytes 0-0/100');
      assert.deepEqual(Buffer.from(await firstByte.arrayBuffer()), bytes.subarray(0, 1));
      const suffix = await fetch(url, { headers: { range: 'bytes=-10' } });
      assert.equal(suffix.status, 206);
      assert.equal(suffix.headers.get('content-range'), 'bytes 90-99/100');
      assert.deepEqual(Buffer.from(await suffix.arrayBuffer()), bytes.subarray(90));
      const beyond = await fetch(url, { headers: { range: 'bytes=500-600' } });
      assert.equal(beyond.status, 416);
      assert.equal(beyond.headers.get('content-range'), 'bytes */100');
      const head = await fetch(url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '100');

      const client = (await findApiClient(server.database.db, API_KEY.key))!;
      const row = (await findRecording(server.database.db, 1, 'rec-c'))!;
      const expired = await signFileToken(server.database.db, client, { kind: 'recording', obj: row.id }, -60_000);
      const expiredResponse = await fetch(`${server.url}/download/recording/${expired}`);
      assert.equal(expiredResponse.status, 401);
      assert.equal(await expiredResponse.text(), 'token expired');
      assert.match(expiredResponse.headers.get('content-type') ?? '', /^text\/plain/);
      // Signed with the API secret (plugNmeet's form) instead of the installation's: refused.
      const now = Math.floor(Date.now() / 1000);
      const withApiSecret = createSigner({ key: API_KEY.secret })({
        iss: API_KEY.key,
        kind: 'recording',
        acc: 1,
        obj: row.id,
        sub: 'recordings/1/r3/c.mp4',
        nbf: now,
        exp: now + 60,
      });
      assert.equal((await fetch(`${server.url}/download/recording/${withApiSecret}`)).status, 401);
      for (const garbage of [
        'x',
        'a.b.c',
        `${token}x`,
        token.split('.').slice(0, 2).join('.') + '.',
        '%00',
        'e30.e30.e30',
      ]) {
        assert.equal((await fetch(`${server.url}/download/recording/${garbage}`)).status, 401, garbage);
      }
      // A recording's token is not an analytics token.
      assert.equal((await fetch(`${server.url}/download/analytics/${token}`)).status, 401);
      await signedPost(server.url, '/auth/recording/delete', { record_id: 'rec-c' });
      const missing = await fetch(url);
      assert.equal(missing.status, 404);
    });

    test('upload: token then streamed PUT registers the recording; too large and aborted uploads leave nothing', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_MAX_UPLOAD_BYTES: '100000' });
      const tokenFor = async (file_name: string, record_id: string) =>
        (
          await signedPost(server.url, '/auth/recording/getUploadToken', {
            room_id: 'up',
            room_sid: 'up-sid',
            record_id,
            file_name,
            metadata: { title: 'Uploaded' },
          })
        ).body.token as string;
      const body = Buffer.alloc(50_000, 7);
      const put = await fetch(`${server.url}/upload/recording/${await tokenFor('talk.webm', 'up-1')}`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'video/webm' },
      });
      const registered = (await put.json()) as {
        status: boolean;
        recording_info: { file_size: number; file_path: string; metadata: { title: string } };
      };
      assert.equal(registered.status, true);
      assert.equal(registered.recording_info.file_size, 50_000);
      assert.equal(registered.recording_info.metadata.title, 'Uploaded');
      assert.equal(registered.recording_info.file_path, 'up/up-1/talk.webm');

      const tooLarge = await fetch(`${server.url}/upload/recording/${await tokenFor('big.webm', 'up-2')}`, {
        method: 'PUT',
        body: Buffer.alloc(150_000),
      });
      assert.equal(tooLarge.status, 413);
      const directory = join(server.config.dataDir, 'files/recordings/1/up');
      const listing = () => readdirSync(directory, { recursive: true }).map(String).sort();
      assert.deepEqual(listing(), ['up-1', 'up-1/talk.webm']);

      // Abort half-way: announce 80,000 bytes, send 40,000, then cut the connection.
      const token = await tokenFor('cut.webm', 'up-3');
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${server.url}/upload/recording/${token}`, {
          method: 'PUT',
          headers: { 'content-length': '80000' },
        });
        req.on('error', () => resolve());
        req.write(Buffer.alloc(40_000), () =>
          setTimeout(() => {
            req.destroy();
            resolve();
          }, 100),
        );
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(listing(), ['up-1', 'up-1/talk.webm']);
      const fetched = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['up'] });
      assert.deepEqual(
        fetched.body.result.recordings_list.map((r: { record_id: string }) => r.record_id),
        ['up-1'],
      );
      const bad = await fetch(`${server.url}/upload/recording/not-a-token`, { method: 'PUT', body: 'x' });
      assert.equal(bad.status, 401);

      // Regression: an empty body answered NOT_FOUND. Empty with Content-Length: 0, and empty chunked.
      const empty = await fetch(`${server.url}/upload/recording/${await tokenFor('empty.webm', 'up-4')}`, {
        method: 'PUT',
        body: '',
      });
      // plugNmeet answers business errors with HTTP 200 and status:false.
      assert.deepEqual(await empty.json(), {
        status: false,
        msg: 'empty upload: send the file as the request body',
        status_code: 'INVALID_PARAMETERS',
      });
      const emptyChunked = await fetch(`${server.url}/upload/recording/${await tokenFor('empty.webm', 'up-5')}`, {
        method: 'PUT',
        body: new ReadableStream({ start: (controller) => controller.close() }),
        duplex: 'half',
      } as RequestInit);
      assert.deepEqual(await emptyChunked.json(), {
        status: false,
        msg: 'empty upload: send the file as the request body',
        status_code: 'INVALID_PARAMETERS',
      });
      assert.deepEqual(listing(), ['up-1', 'up-1/talk.webm']);
    });

    test('recordings are isolated per account (the API key’s)', async (t) => {
      const server = await startTestServer(t, engine);
      await seedRoom(server.url, server.config.dataDir, 'shared-name', 3);
      const { createAccount, createApiKey } = await import('../../src/auth/service.js');
      const other = await createAccount(server.database.db, 'Other');
      const pair = await createApiKey(server.database.db, {
        accountId: other.id,
        apiKey: 'other-key',
        apiSecret: 'other-secret-0123456789',
      });
      const key = { key: pair.apiKey, secret: pair.apiSecret };
      assert.equal(
        (await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['shared-name'] }, key)).body.status_code,
        'NOT_FOUND',
      );
      assert.equal(
        (await signedPost(server.url, '/auth/recording/info', { record_id: 'shared-name-rec-0000' }, key)).body
          .status_code,
        'NOT_FOUND',
      );
      assert.equal(
        (await signedPost(server.url, '/auth/recording/getDownloadToken', { record_id: 'shared-name-rec-0000' }, key))
          .body.status_code,
        'NOT_FOUND',
      );
      assert.equal(
        (await signedPost(server.url, '/auth/recording/delete', { record_id: 'shared-name-rec-0000' }, key)).body
          .status_code,
        'NOT_FOUND',
      );
      assert.equal(
        (await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['shared-name'] })).body.result
          .total_recordings,
        3,
      );
      void call;
    });
  });
}
