import type { FastifyReply, FastifyRequest } from 'fastify';
import { databaseMemo } from '../db/lasting-facts.js';
import type { AppError } from '../http/errors.js';
import { errorReply, familyOfUrl } from '../http/families.js';

/**
 * Read-only requests answer while their credentials are being checked (PostgreSQL).
 *
 * There a credential lookup is a round trip that every request would wait for before running its
 * own queries. On a route that writes no account's data (one with `likelyScopes`), a credential this process
 * verified before lets the request go on at once as the user or key pair it named then, while the
 * lookup, started after the request arrived, runs beside it. The answer leaves only when that lookup
 * confirms the same identity (the onSend hook below); otherwise it is dropped and the client gets the
 * 401 its credential earns now. Users never change account or roles, so the only way a confirmation
 * fails is a credential that stopped being valid (revoked, logged out, expired, deactivated).
 */

/** What the last successful check of a credential found, by token hash or API key. */
const verified = databaseMemo<string, unknown>(10_000);
const enabled = new WeakSet<object>();

export function enableCredentialSpeculation(db: object): void {
  enabled.add(db);
}

/** Whether `request` may go on before its credential is confirmed. */
export function mayAnswerBeforeConfirmation(request: FastifyRequest): boolean {
  return request.routeOptions.config.likelyScopes !== undefined && enabled.has(request.server.db);
}

/** Remembers what a successful check found (only where speculation is on). */
export function rememberVerified(db: object, key: string, identity: unknown): void {
  if (enabled.has(db)) verified.set(db, key, identity);
}

export function forgetVerified(db: object, key: string): void {
  if (enabled.has(db)) verified.delete(db, key);
}

export function lastVerified<T>(db: object, key: string): T | undefined {
  return verified.get(db, key) as T | undefined;
}

/**
 * Lets the request go on; `confirmation` resolves to undefined when the credential still names the
 * identity the request runs as, or to the error the request must answer instead.
 */
export function confirmBeforeAnswering(request: FastifyRequest, confirmation: Promise<AppError | undefined>): void {
  // Never left rejected: a lookup that fails is answered as the failure it is, in onSend.
  request.credentialConfirmation = confirmation.catch((error: unknown) => error as Error);
}

/** onSend: holds the answer until its credential is confirmed, or replaces it with the error. */
export async function awaitCredentialConfirmation(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const confirmation = request.credentialConfirmation;
  if (!confirmation) return payload;
  request.credentialConfirmation = null;
  const failure = await confirmation;
  if (failure === undefined) return payload;
  if (payload && typeof (payload as { destroy?: unknown }).destroy === 'function')
    (payload as { destroy: () => void }).destroy();
  const { status, body, headers } = errorReply(familyOfUrl(request.url), failure, request);
  reply.removeHeader('content-length').removeHeader('etag').removeHeader('cache-control');
  reply.code(status).headers(headers).type('application/json; charset=utf-8');
  return JSON.stringify(body);
}
