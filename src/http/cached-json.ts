import type { FastifyReply } from 'fastify';
import { cachedRead } from '../db/read-cache.js';
import { csvAttachment, CSV_TYPE } from './csv.js';

/**
 * Sends a route's 200 answer, JSON text from `computeText`, through the read cache
 * (src/db/read-cache.ts): a hit costs neither the queries nor building the text. `scopes` cover
 * the tables the answer reads (db/cache-scopes.ts); `key` names what else it depends on besides
 * the route (account, parameters); the answer must not depend on the clock. Errors thrown by `computeText` are sent as usual and never kept.
 */
export async function sendCachedJsonText(
  reply: FastifyReply,
  scopes: readonly string[],
  key: string,
  computeText: () => Promise<string | Buffer>,
  type = 'application/json; charset=utf-8',
): Promise<FastifyReply> {
  const route = `${reply.request.method} ${reply.request.routeOptions.url ?? ''}`;
  // Kept and sent as UTF-8 bytes, so a hit is written without encoding the text again (encoding a
  // 400 KB answer, reports_images with 1,000 images, takes about 1 ms here).
  const body = await cachedRead(
    reply.server.db,
    scopes,
    `${route}|${type}|${key}`,
    async () => {
      const text = await computeText();
      return typeof text === 'string' ? Buffer.from(text) : text;
    },
    (bytes) => bytes.length,
  );
  return reply.type(type).send(body);
}

/** A CSV twin through the read cache, as an attachment named `<name>.csv`. */
export function sendCachedCsv(
  reply: FastifyReply,
  name: string,
  scopes: readonly string[],
  key: string,
  computeText: () => Promise<string>,
): Promise<FastifyReply> {
  return sendCachedJsonText(
    reply.header('content-disposition', csvAttachment(name)),
    scopes,
    key,
    computeText,
    CSV_TYPE,
  );
}

/**
 * An answer already serialized as JSON in UTF-8 (for instance from entries kept between requests),
 * sent as it is instead of through the response schema's serializer.
 */
export class JsonBytes {
  constructor(readonly bytes: Buffer) {}

  /** A JSON array of elements each already serialized: `[a,b,…]`, copied once into one buffer. */
  static array(elements: readonly Buffer[]): JsonBytes {
    let length = 2 + Math.max(elements.length - 1, 0);
    for (const element of elements) length += element.length;
    const bytes = Buffer.allocUnsafe(length);
    let at = 0;
    bytes[at++] = 0x5b; // [
    elements.forEach((element, i) => {
      if (i > 0) bytes[at++] = 0x2c; // ,
      at += element.copy(bytes, at);
    });
    bytes[at] = 0x5d; // ]
    return new JsonBytes(bytes);
  }
}

/** sendCachedJsonText for an answer the route's response schema serializes (or a JsonText). */
export function sendCachedJson(
  reply: FastifyReply,
  scopes: readonly string[],
  key: string,
  compute: () => Promise<unknown>,
): Promise<FastifyReply> {
  return sendCachedJsonText(reply, scopes, key, async () => jsonOf(reply, await compute()));
}

/** The JSON of an answer: a JsonBytes' own bytes, else the text the route's response schema makes of it. */
function jsonOf(reply: FastifyReply, answer: unknown): string | Buffer {
  return answer instanceof JsonBytes ? answer.bytes : (reply.serialize(answer) as string);
}

/** An answer as JSON text (for its CSV twin). */
export function jsonTextOf(reply: FastifyReply, answer: unknown): string {
  const json = jsonOf(reply, answer);
  return typeof json === 'string' ? json : json.toString('utf8');
}
