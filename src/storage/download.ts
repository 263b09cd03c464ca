import send from '@fastify/send';
import contentDisposition from 'content-disposition';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { posix } from 'node:path';
import { findApiClient } from '../auth/service.js';
import type { FileStorage } from './files.js';
import { tokenIssuer, verifyFileToken } from './tokens.js';

/**
 * `GET|HEAD /download/<kind>/:token`: verifies the token, then streams the file it names with
 * Content-Type, Content-Length, Content-Disposition: attachment, Accept-Ranges, and 206/416 for
 * Range requests (video players seek). Errors are text/plain, as plugNmeet's: 401 bad or expired
 * token, 400 path outside the storage root, 404 missing file.
 */
export async function sendStoredFile(request: FastifyRequest, reply: FastifyReply, storage: FileStorage, token: string): Promise<FastifyReply> {
  const text = (status: number, message: string) => reply.code(status).type('text/plain; charset=utf-8').send(message);
  const issuer = tokenIssuer(token);
  const client = issuer ? await findApiClient(request.server.db, issuer) : undefined;
  if (!client) return text(401, 'invalid token');
  const check = verifyFileToken(token, client.apiSecret);
  if (!check.ok) return text(401, check.reason === 'expired' ? 'token expired' : 'invalid token');
  const full = storage.localPath(check.claims.sub);
  if (!full) return text(400, 'invalid file path');
  const size = await storage.size(check.claims.sub);
  if (size === undefined) return text(404, 'file not found');

  const result = await send(request.raw, posix.basename(full), {
    root: posix.dirname(full),
    acceptRanges: true,
    etag: true,
    lastModified: true,
    cacheControl: false,
    dotfiles: 'allow',
    index: false,
  });
  if (result.type === 'error') {
    const status = (result.metadata.error as { status?: number }).status ?? 500;
    if (status === 416) reply.header('content-range', `bytes */${size}`);
    return text(status, status === 404 ? 'file not found' : status === 416 ? 'range not satisfiable' : 'cannot send file');
  }
  reply.code(result.statusCode);
  reply.headers(result.headers as Record<string, string>);
  reply.header('content-disposition', contentDisposition(posix.basename(full), { type: 'attachment' }));
  reply.header('cache-control', 'private, no-store');
  if (result.statusCode === 416) return reply.type('text/plain; charset=utf-8').send('range not satisfiable');
  return reply.send(result.stream);
}
