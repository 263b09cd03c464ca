import { STATUS_CODES, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * How Recap treats connections of slow, broken or hostile clients:
 * - headers must arrive within `headersTimeoutMs`;
 * - a connection on which no byte moves for `idleTimeoutMs` is closed, which ends a trickled body
 *   yet lets an upload of many GiB run as long as bytes flow (there is no whole-request deadline);
 * - an idle keep-alive connection is closed after `keepAliveTimeoutMs`;
 * - an answer sent before the request body was read drains a small rest, or else says
 *   `Connection: close` and closes, so a client reusing the connection never waits for nothing;
 * - malformed requests and oversized headers are answered with `Connection: close` before the
 *   socket is closed.
 */

export interface ConnectionLimits {
  headersTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/** A body of at most this much is read to its end and dropped, so the connection can be reused. */
export const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_WAIT_MS = 2_000;

export function connectionOptions(limits: ConnectionLimits): Pick<
  FastifyServerOptions,
  'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout' | 'clientErrorHandler'
> & {
  http: ServerOptions;
} {
  return {
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // No deadline for a whole request: uploads of many GiB take long; the idle timeout ends stalls.
    requestTimeout: 0,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node checks header deadlines on this interval (default 30 s): keep it below the deadline.
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    clientErrorHandler: answerClientError,
  };
}

/** Node's client errors and their answers; any other is a request that is not valid HTTP. */
const CLIENT_ERRORS: Record<string, { status: number; error: string; code: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    error: 'the request headers did not arrive in time',
    code: 'request_timeout',
  },
  HPE_HEADER_OVERFLOW: { status: 431, error: 'the request headers are too large', code: 'headers_too_large' },
};
const NOT_HTTP = { status: 400, error: 'the request is not valid HTTP', code: 'invalid_params' };

/** Fastify's default answer to a request Node could not parse, plus `Connection: close`. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, ...answer } = (error.code && CLIENT_ERRORS[error.code]) || NOT_HTTP;
  const body = JSON.stringify(answer);
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}

/** Reads and drops the rest of a request body; resolves false when it does not end in time. */
function drain(request: FastifyRequest): Promise<boolean> {
  const raw = request.raw;
  return new Promise((resolve) => {
    if (raw.complete || raw.destroyed) return resolve(raw.complete);
    const timer = setTimeout(() => done(false), DRAIN_WAIT_MS);
    const done = (ended: boolean) => {
      clearTimeout(timer);
      raw.off('end', onEnd).off('error', onError).off('data', onData);
      resolve(ended);
    };
    let read = 0;
    const onEnd = () => done(true);
    const onError = () => done(false);
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_LIMIT_BYTES) done(false);
    };
    raw.on('end', onEnd).on('error', onError).on('data', onData);
    raw.resume();
  });
}

/** Installs the early-answer rule: drain a small rest of the body, or close the connection. */
export function closeUnreadConnections(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every answer and nearly always has nothing to do.
  app.addHook('onSend', (request, reply, payload, done) => {
    const raw = request.raw;
    // A body stream the route stopped reading (an import refused at line 1) is destroyed, not complete.
    if (raw.complete) return done(null, payload);
    const closeAfter = () => {
      reply.header('connection', 'close');
      // Read no more of it: the socket ends after the answer.
      raw.pause();
      done(null, payload);
    };
    const declared = Number(request.headers['content-length']);
    if (raw.destroyed || !Number.isSafeInteger(declared) || declared > DRAIN_LIMIT_BYTES) return closeAfter();
    void drain(request).then((ended) => (ended ? done(null, payload) : closeAfter()));
  });
}

/**
 * Whether a request failed because its client went away (an aborted upload, a reset): the errors
 * Node gives a body stream whose connection broke. A stream the route itself stopped reading is
 * not enough: a server fault during an import must still be logged as one.
 */
export function clientWentAway(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (error as Error | undefined)?.message === 'aborted'
  );
}
