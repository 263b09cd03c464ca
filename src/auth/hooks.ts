import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden, invalidParams, notFound, unauthorized } from '../http/errors.js';
import { constantTimeEqual, hmacSha256Hex } from './crypto.js';
import { canAccessAccount, hasPermission, type Permission } from './permissions.js';
import { authenticateToken, findApiClient, getAccount } from './service.js';

/**
 * Authentication hooks shared by every API family. They throw AppErrors; the family's error handler
 * renders them, so the same hook gives Rocket.Chat's 401 body on /api/v1 and `{error, code}` on /api/v4.
 */

const BEARER = /^Bearer\s+(\S+)$/i;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The console's session cookie: HttpOnly, so page scripts never see the token it holds. */
export const SESSION_COOKIE = 'recap_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser's write must come from Recap's own pages: its `Origin` must be this server's. SameSite
 * already keeps the cookie off other sites' requests; this also refuses a request sent without it.
 */
export function requireSameOrigin(request: FastifyRequest): void {
  const origin = header(request, 'origin');
  if (origin !== `${request.protocol}://${request.host}`) throw forbidden('cross-origin request refused');
}

/**
 * Accepts `X-User-Id` + `X-Auth-Token` (Rocket.Chat), `Authorization: Bearer <token>`, or the
 * console's session cookie (writes with the cookie must pass requireSameOrigin).
 */
export async function requireUser(request: FastifyRequest): Promise<void> {
  const userId = header(request, 'x-user-id');
  const rcToken = header(request, 'x-auth-token');
  const bearer = BEARER.exec(header(request, 'authorization') ?? '')?.[1];
  const cookie = request.cookies[SESSION_COOKIE];
  let user;
  if (userId !== undefined && rcToken !== undefined) user = await authenticateToken(request.server.db, rcToken, userId);
  else if (bearer !== undefined) user = await authenticateToken(request.server.db, bearer);
  else if (cookie !== undefined) {
    user = await authenticateToken(request.server.db, cookie);
    if (user && !SAFE_METHODS.has(request.method)) requireSameOrigin(request);
  }
  if (!user) throw unauthorized('You must be logged in to do this.');
  request.user = user;
}

/** A preHandler that requires a permission of the authenticated user. */
export function requirePermission(permission: Permission) {
  return async function checkPermission(request: FastifyRequest): Promise<void> {
    if (!request.user || !hasPermission(request.user, permission)) throw forbidden(`missing permission ${permission}`);
  };
}

/**
 * The account a request acts on: the caller's own, unless an admin names another (403 otherwise;
 * 404 when no such account exists).
 */
export async function actingAccountId(request: FastifyRequest, requested: number | undefined): Promise<number> {
  const user = request.user;
  if (!user) throw unauthorized('You must be logged in to do this.');
  if (requested === undefined || requested === user.accountId) return user.accountId;
  if (!canAccessAccount(user, requested)) throw forbidden('only an admin may act on another account');
  if (!(await getAccount(request.server.db, requested))) throw notFound(`account ${requested} not found`);
  return requested;
}

/** plugNmeet's 401 bodies, in the order its server checks them. */
const PLUGNMEET_AUTH_ERRORS = {
  missingKey: { status: false, msg: 'Missing API-KEY header.', status_code: 'MISSING_REQUIRED_PARAMETER' },
  invalidKey: { status: false, msg: 'Invalid API key provided.', status_code: 'INVALID_API_KEY' },
  missingSignature: { status: false, msg: 'Missing HASH-SIGNATURE header.', status_code: 'MISSING_REQUIRED_PARAMETER' },
  badSignature: {
    status: false,
    msg: 'Failed to verify provided authentication details.',
    status_code: 'INVALID_TOKEN_OR_SIGNATURE',
  },
} as const;

/**
 * plugNmeet server-to-server authentication: `API-KEY` names a key pair, `HASH-SIGNATURE` is the
 * lowercase hex HMAC-SHA256 of the raw body under its secret, compared in constant time.
 * Runs as preValidation, after the raw body was captured.
 */
export async function requireSignedApiCall(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const apiKey = header(request, 'api-key');
  if (!apiKey) return void reply.code(401).send(PLUGNMEET_AUTH_ERRORS.missingKey);
  const client = await findApiClient(request.server.db, apiKey);
  if (!client) return void reply.code(401).send(PLUGNMEET_AUTH_ERRORS.invalidKey);
  const signature = header(request, 'hash-signature');
  if (!signature) return void reply.code(401).send(PLUGNMEET_AUTH_ERRORS.missingSignature);
  const expected = hmacSha256Hex(client.apiSecret, request.rawBody ?? Buffer.alloc(0));
  if (!constantTimeEqual(signature, expected)) return void reply.code(401).send(PLUGNMEET_AUTH_ERRORS.badSignature);
  request.apiClient = client;
  if (request.bodyParseError) throw invalidParams(request.bodyParseError);
}
