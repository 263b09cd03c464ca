import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, any>;
}

/** Requests answered with something other than 2xx (the receiver's simulated failures). */
export interface Refused {
  status: number;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Requests answered 2xx: deliveries. */
  received: Received[];
  refused: Refused[];
  /** How the next requests are answered: a status, or 'hang' (never answer). Default 204. */
  answers: (number | 'hang')[];
  /** Resolves once `n` deliveries (in all) have arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** A local HTTP server that records every webhook it gets; closed after the test. */
export async function startReceiver(t: TestContext, port = 0): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const refused: Refused[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const answers: (number | 'hang')[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answer = receiver.answers.shift() ?? 204;
      if (answer !== 'hang') {
        if (answer >= 300) refused.push({ status: answer, body });
        else received.push({ path: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) });
        for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
        res.writeHead(answer, answer >= 300 && answer < 400 ? { location: '/redirected' } : {}).end();
      }
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    refused,
    answers,
    waitFor(n, timeoutMs = 10_000) {
      if (received.length >= n) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${received.length} of ${n} webhooks arrived in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  t.after(() => receiver.close());
  return receiver;
}
