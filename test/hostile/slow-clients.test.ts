import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { signedPost } from '../recordings/fixtures.js';
import { ADMIN, bearer, loginAs, startTestServer } from '../helpers/server.js';

/**
 * Slow, stalled and oversized clients on raw sockets, with second-long limits set through the
 * environment: every connection is answered or closed in bounded time, and an answer given before
 * the body was read either drains a small rest (the connection stays usable) or says
 * `Connection: close` and closes.
 */

interface Conversation {
  socket: Socket;
  /** Everything the server sent so far. */
  text(): string;
  /** Resolves with the milliseconds until the server closed the connection, or rejects after `ms`. */
  closed(ms: number): Promise<number>;
}

function open(url: string): Promise<Conversation> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      const started = Date.now();
      let received = '';
      let closedAt: number | undefined;
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => (closedAt = Date.now()));
      resolve({
        socket,
        text: () => received,
        closed: (ms) =>
          new Promise((done, fail) => {
            const check = setInterval(() => {
              if (closedAt !== undefined) {
                clearInterval(check);
                done(closedAt - started);
              } else if (Date.now() - started > ms) {
                clearInterval(check);
                socket.destroy();
                fail(new Error(`still open after ${ms} ms; received: ${received.slice(0, 200)}`));
              }
            }, 20);
          }),
      });
    });
    socket.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LIMITS = { RECAP_HEADERS_TIMEOUT: '1s', RECAP_IDLE_TIMEOUT: '1s', RECAP_KEEP_ALIVE_TIMEOUT: '1s' };

describe('slow and broken clients', () => {
  test('headers trickled past the header timeout: 408 with Connection: close, then closed', async (t) => {
    const server = await startTestServer(t, 'sqlite', LIMITS);
    const c = await open(server.url);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => c.socket.writable && c.socket.write('X-Slow: 1\r\n'), 200);
    t.after(() => clearInterval(trickle));
    assert.ok((await c.closed(4000)) < 4000);
    assert.match(c.text(), /^HTTP\/1\.1 408 /);
    assert.match(c.text(), /\r\nConnection: close\r\n/i);
  });

  test('a JSON body that stalls is cut off after the idle timeout, unauthenticated login too', async (t) => {
    const server = await startTestServer(t, 'sqlite', LIMITS);
    for (const path of ['/api/v1/login', '/auth/recording/fetch', '/api/v4/reports']) {
      const c = await open(server.url);
      c.socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user":`,
      );
      const after = await c.closed(4000);
      assert.ok(after >= 900 && after < 4000, `${path}: closed after ${after} ms`);
    }
  });

  test('an upload runs past the idle timeout while bytes flow, and is cut off once they stop', async (t) => {
    const server = await startTestServer(t, 'sqlite', LIMITS);
    const token = async (record_id: string) =>
      (
        await signedPost(server.url, '/auth/recording/getUploadToken', {
          room_id: 'slow',
          room_sid: 'slow-sid',
          record_id,
          file_name: 'a.webm',
        })
      ).body.token as string;
    const flowing = await open(server.url);
    const pieces = 10;
    flowing.socket.write(
      `PUT /upload/recording/${await token('flows')} HTTP/1.1\r\nHost: x\r\nContent-Length: ${pieces * 1024}\r\n\r\n`,
    );
    for (let i = 0; i < pieces; i++) {
      await sleep(300); // 3 s in all, three times the idle timeout
      flowing.socket.write(Buffer.alloc(1024, i));
    }
    for (let i = 0; i < 50 && !flowing.text().includes('\r\n\r\n'); i++) await sleep(50);
    assert.match(flowing.text(), /^HTTP\/1\.1 200 /);
    assert.match(flowing.text(), /"record_id":"flows"/);
    flowing.socket.destroy();

    const stalled = await open(server.url);
    stalled.socket.write(
      `PUT /upload/recording/${await token('stalls')} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`,
    );
    stalled.socket.write(Buffer.alloc(10_000));
    assert.ok((await stalled.closed(4000)) < 4000);
    const listed = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['slow'] });
    assert.deepEqual(
      listed.body.result.recordings_list.map((r: { record_id: string }) => r.record_id),
      ['flows'],
    );
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
    const server = await startTestServer(t, 'sqlite', LIMITS);
    const c = await open(server.url);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const after = await c.closed(4000);
    assert.match(c.text(), /^HTTP\/1\.1 200 /);
    assert.ok(after >= 900, `closed after ${after} ms`);
  });

  test('headers too large: 431 with Connection: close, then closed', async (t) => {
    const server = await startTestServer(t, 'sqlite', LIMITS);
    const c = await open(server.url);
    c.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.ok((await c.closed(3000)) < 3000);
    assert.match(c.text(), /^HTTP\/1\.1 431 /);
    assert.match(c.text(), /\r\nConnection: close\r\n/i);
  });

  test('an import refused at line 1 with a large body says Connection: close and closes; a small refused body is drained and the connection reused', async (t) => {
    const server = await startTestServer(t, 'sqlite');
    const session = await loginAs(server.url, ADMIN.username, ADMIN.password);
    const large = await open(server.url);
    const body = Buffer.from('{"type":"nope"}\n'.repeat(200_000));
    large.socket.write(
      `POST /api/v4/import HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(session).authorization}\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    large.socket.write(body);
    assert.ok((await large.closed(5000)) < 5000);
    assert.match(large.text(), /^HTTP\/1\.1 400 /);
    assert.match(large.text(), /\r\nconnection: close\r\n/i);
    assert.match(large.text(), /line 1/);

    // 401 before the body is read; the body is small, so it is drained and the connection stays usable.
    const small = await open(server.url);
    const json = JSON.stringify({ channel_id: 1, pad: 'x'.repeat(5000) });
    small.socket.write(
      `POST /api/v4/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`,
    );
    small.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await small.closed(3000);
    assert.match(small.text(), /^HTTP\/1\.1 401 /);
    assert.match(small.text(), /\r\n\r\n.*HTTP\/1\.1 200 /s);
  });
});
