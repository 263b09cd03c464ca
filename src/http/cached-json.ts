import type { FastifyReply } from 'fastify';
import { cachedRead, stringBytes } from '../db/read-cache.js';

/**
 * Sends a route's 200 answer through the read cache (src/db/read-cache.ts), kept as the text the
 * route's response schema serialized: a hit costs neither the queries nor the serializer.
 * `key` names what the answer depends on besides the route (account, parameters); the answer must
 * not depend on the clock. Errors thrown by `compute` are sent as usual and never kept.
 */
export async function sendCachedJson(reply: FastifyReply, key: string, compute: () => Promise<unknown>): Promise<FastifyReply> {
  const route = `${reply.request.method} ${reply.request.routeOptions.url ?? ''}`;
  const body = await cachedRead(reply.server.db, `${route}|${key}`, async () => reply.serialize(await compute()) as string, stringBytes);
  return reply.type('application/json; charset=utf-8').send(body);
}
