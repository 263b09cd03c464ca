import { Agent, request } from 'node:http';

export interface ClientRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * One keep-alive connection to `baseUrl`, one request at a time: `send` resolves to the status once
 * the whole answer arrived. node:http rather than fetch: less client time in every figure.
 */
export function sequentialClient(baseUrl: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (r: ClientRequest) =>
    new Promise<number>((resolve, reject) => {
      const req = request(new URL(r.path, baseUrl), { method: r.method, headers: r.headers, agent }, (res) => {
        res
          .on('data', () => {})
          .on('end', () => resolve(res.statusCode ?? 0))
          .on('error', reject);
      });
      req.on('error', reject);
      req.end(r.body);
    });
  return { send, close: () => agent.destroy() };
}
