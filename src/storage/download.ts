import send from '@fastify/send';
import { Type } from '@sinclair/typebox';
import contentDisposition from 'content-disposition';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { posix } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { FileStorage } from './files.js';
import { verifyFileToken, type FileTokenCheck } from './tokens.js';

/** What a download token resolves to: the stored path of its object (undefined: the row is gone). */
export type ResolvedDownload = Exclude<FileTokenCheck, { ok: true }> | { ok: true; path: string | undefined };

/**
 * Checks a download token of `kind` and finds the stored path of the row it names, in the token's
 * account (`find` reads the module's table; `pathOf` places the row's file).
 */
export async function resolveDownload<Row>(
  db: Kysely<Database>,
  token: string,
  kind: 'recording' | 'analytics',
  find: (db: Kysely<Database>, accountId: number, id: number) => Promise<Row | undefined>,
  pathOf: (row: Row) => string,
): Promise<ResolvedDownload> {
  const check = await verifyFileToken(db, token, kind);
  if (!check.ok) return check;
  const row = check.claims.obj === undefined ? undefined : await find(db, check.claims.acc, check.claims.obj);
  return { ok: true, path: row && pathOf(row) };
}

/**
 * `GET|HEAD /download/<kind>/:token`: resolves the token to its object's file (the module's
 * `resolve`, which checks the token and finds the row in the token's account), then streams it
 * with Content-Type, Content-Length, Content-Disposition: attachment, Accept-Ranges, and 206/416
 * for Range requests (video players seek). Errors are text/plain, as plugNmeet's: 401 bad or
 * expired token, 404 missing file.
 */
export async function sendStoredFile(
  request: FastifyRequest,
  reply: FastifyReply,
  storage: FileStorage,
  resolved: ResolvedDownload,
): Promise<FastifyReply> {
  const text = (status: number, message: string) => reply.code(status).type('text/plain; charset=utf-8').send(message);
  if (!resolved.ok) return text(401, resolved.reason === 'expired' ? 'token expired' : 'invalid token');
  const full = resolved.path === undefined ? undefined : storage.localPath(resolved.path);
  const size = resolved.path === undefined ? undefined : await storage.size(resolved.path);
  if (!full || size === undefined) return text(404, 'file not found');

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
    return text(
      status,
      status === 404 ? 'file not found' : status === 416 ? 'range not satisfiable' : 'cannot send file',
    );
  }
  reply.code(result.statusCode);
  reply.headers(result.headers as Record<string, string>);
  reply.header('content-disposition', contentDisposition(posix.basename(full), { type: 'attachment' }));
  reply.header('cache-control', 'private, no-store');
  if (result.statusCode === 416) return reply.type('text/plain; charset=utf-8').send('range not satisfiable');
  return reply.send(result.stream);
}

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 8192 }) });

/**
 * Registers `GET|HEAD <prefix>/:token` for a kind of stored file: the token is the credential,
 * `resolve` (the module's) turns it into the stored path.
 */
export function downloadRoute(
  app: FastifyInstance,
  route: { prefix: string; tags: string[]; summary: string; produces: string[] },
  resolve: (db: Kysely<Database>, token: string) => Promise<ResolvedDownload>,
): void {
  app.get<{ Params: { token: string } }>(
    `${route.prefix}/:token`,
    {
      exposeHeadRoute: true,
      schema: { tags: route.tags, summary: route.summary, params: TokenParams, produces: route.produces },
    },
    async (request, reply) => sendStoredFile(request, reply, app.storage, await resolve(app.db, request.params.token)),
  );
}
