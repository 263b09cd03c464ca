import type { FastifyRequest } from 'fastify';
import { AppError, forbidden, invalidParams, notFound, unauthorized } from '../http/errors.js';
import { confirmBeforeAnswering, mayAnswerBeforeConfirmation } from './credential-speculation.js';
import { constantTimeEqual, hmacSha256Hex } from './crypto.js';
import { canAccessAccount, hasPermission, type Permission } from './permissions.js';
import {
  authenticateToken,
  findApiClient,
  getAccount,
  isSameApiClient,
  isSameUser,
  lastVerifiedApiClient,
  lastVerifiedUser,
  type ApiClient,
} from './service.js';

/**
 * Authentication hooks shared by every API family. They throw AppErrors; the family's error handler
 * renders them, so the same hook gives Rocket.Chat's 401 body on /api/v1 and `{error, code}` on /api/v4.
 */

const BEARER = /^Bearer\s+(\S+)$/i;
const NOT_LOGGED_IN = 'You must be logged in to do this.';

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
  if (userId !== undefined && rcToken !== undefined) user = await userOfToken(request, rcToken, userId);
  else if (bearer !== undefined) user = await userOfToken(request, bearer);
  else if (cookie !== undefined) {
    user = await userOfToken(request, cookie);
    if (user && !SAFE_METHODS.has(request.method)) requireSameOrigin(request);
  }
  if (!user) throw unauthorized(NOT_LOGGED_IN);
  request.user = user;
}

/** The token's user: checked now, or, on a read-only route, as last verified while a check runs. */
async function userOfToken(request: FastifyRequest, token: string, expectedUserId?: string) {
  const db = request.server.db;
  const provisional = mayAnswerBeforeConfirmation(request) ? lastVerifiedUser(db, token, expectedUserId) : undefined;
  if (!provisional) return authenticateToken(db, token, expectedUserId);
  const confirmation = authenticateToken(db, token, expectedUserId).then((user) =>
    user && isSameUser(user, provisional) ? undefined : unauthorized(NOT_LOGGED_IN),
  );
  confirmBeforeAnswering(request, confirmation);
  return provisional;
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
  if (!user) throw unauthorized(NOT_LOGGED_IN);
  if (requested === undefined || requested === user.accountId) return user.accountId;
  if (!canAccessAccount(user, requested)) throw forbidden('only an admin may act on another account');
  if (!(await getAccount(request.server.db, requested))) throw notFound(`account ${requested} not found`);
  return requested;
}

/** plugNmeet's 401 answers, in the order its server checks them (rendered by the plugNmeet family). */
const signedCallError = (msg: string, statusCode: string) => new AppError('unauthorized', msg, { statusCode });
const SIGNED_CALL_ERRORS = {
  missingKey: () => signedCallError('Missing API-KEY header.', 'MISSING_REQUIRED_PARAMETER'),
  invalidKey: () => signedCallError('Invalid API key provided.', 'INVALID_API_KEY'),
  missingSignature: () => signedCallError('Missing HASH-SIGNATURE header.', 'MISSING_REQUIRED_PARAMETER'),
  badSignature: () =>
    signedCallError('Failed to verify provided authentication details.', 'INVALID_TOKEN_OR_SIGNATURE'),
};

/** The error a signed call earns with `client` (undefined: no such active key), or undefined if it passes. */
function signedCallFailure(client: ApiClient | undefined, signature: string | undefined, body: Buffer) {
  if (!client) return SIGNED_CALL_ERRORS.invalidKey();
  if (!signature) return SIGNED_CALL_ERRORS.missingSignature();
  if (!constantTimeEqual(signature, hmacSha256Hex(client.apiSecret, body))) return SIGNED_CALL_ERRORS.badSignature();
  return undefined;
}

/**
 * plugNmeet server-to-server authentication: `API-KEY` names a key pair, `HASH-SIGNATURE` is the
 * lowercase hex HMAC-SHA256 of the raw body under its secret, compared in constant time.
 * Runs as preValidation, after the raw body was captured. On a read-only route, a key verified
 * before signs at once while its check runs (credential-speculation.ts).
 */
export async function requireSignedApiCall(request: FastifyRequest): Promise<void> {
  const apiKey = header(request, 'api-key');
  if (!apiKey) throw SIGNED_CALL_ERRORS.missingKey();
  const signature = header(request, 'hash-signature');
  const body = request.rawBody ?? Buffer.alloc(0);
  const db = request.server.db;
  const provisional = mayAnswerBeforeConfirmation(request) ? lastVerifiedApiClient(db, apiKey) : undefined;
  if (provisional && !signedCallFailure(provisional, signature, body)) {
    const confirmation = findApiClient(db, apiKey).then((client) =>
      client && isSameApiClient(client, provisional) ? undefined : signedCallFailure(client, signature, body),
    );
    confirmBeforeAnswering(request, confirmation);
    request.apiClient = provisional;
  } else {
    const client = await findApiClient(db, apiKey);
    const failure = signedCallFailure(client, signature, body);
    if (failure) throw failure;
    request.apiClient = client!;
  }
  if (request.bodyParseError) throw invalidParams(request.bodyParseError);
}
