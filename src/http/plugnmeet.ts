import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { knownApiKeyAccount } from '../auth/api-keys.js';
import type { Database } from '../db/schema.js';
import { plugnmeetSecurity } from './schemas.js';
import { requireSignedApiCall } from '../auth/hooks.js';
import { useFamilyErrors } from './families.js';
import { invalidParams } from './errors.js';
import { captureRawJsonBody } from './raw-body.js';

/**
 * Prepares a scope for plugNmeet server-to-server routes (`POST /auth/...`): raw-body capture,
 * API-KEY + HASH-SIGNATURE verification before validation, and plugNmeet's error envelope.
 */
export function usePlugnmeetFamily(scope: FastifyInstance): void {
  useFamilyErrors(scope, 'plugnmeet');
  captureRawJsonBody(scope);
  scope.addHook('preValidation', requireSignedApiCall);
}

const camelToSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * plugNmeet accepts snake_case and lowerCamel keys (`room_ids` / `roomIds`), ignores unknown keys
 * and treats `null` as absent. This folds a body into snake_case without nulls, at the top level
 * and inside the objects named in `nested` (never inside user data such as `extra_data`).
 * When both spellings are given, snake_case wins.
 */
export function normalizePlugnmeetBody(body: unknown, nested: readonly string[] = []): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(body as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (value === null) continue;
    const snake = camelToSnake(key);
    if (snake !== key && Object.hasOwn(body, snake)) continue;
    out[snake] = nested.includes(snake) ? normalizePlugnmeetBody(value) : value;
  }
  return out;
}

/** plugNmeet's success triple. */
export const PLUGNMEET_OK = { status: true, msg: 'success', status_code: 'SUCCESS' } as const;

/** The route schema of a signed plugNmeet call: a JSON body, one 200 reply, the API-KEY security. */
export const plugnmeetSchema =
  (tags: string[]) =>
  <B extends TSchema, R extends TSchema>(summary: string, body: B, reply: R) => ({
    tags,
    summary,
    security: plugnmeetSecurity,
    body,
    response: { 200: reply },
  });

/** Folds every body of a scope into snake_case without nulls (see normalizePlugnmeetBody). */
export function normalizeBodies(scope: FastifyInstance, nested: readonly string[] = []): void {
  // After the signature check (registered on the family scope), before validation.
  scope.addHook('preValidation', async (request) => {
    request.body = normalizePlugnmeetBody(request.body, nested);
  });
}

export interface PageParams {
  from: number;
  limit: number;
  orderBy: 'ASC' | 'DESC';
}

/**
 * plugNmeet's paging of every list (recordings, analytics, past rooms, artifacts): from 0 by
 * default; limit 0 or absent → 20, over 100 → 100; order_by DESC (default) or ASC, in any case.
 */
export function pageParams(body: {
  from?: number | undefined;
  limit?: number | undefined;
  order_by?: string | undefined;
}): PageParams {
  const orderBy = (body.order_by ?? 'DESC').toUpperCase();
  if (orderBy !== 'ASC' && orderBy !== 'DESC') throw invalidParams('order_by must be DESC or ASC');
  return { from: body.from ?? 0, limit: !body.limit ? 20 : Math.min(body.limit, 100), orderBy };
}

/**
 * A signed read route's likely cache scope (read-cache.ts, RequestVersions): its account's, when
 * the API key was seen before.
 */
export function likelyScopesOfKey(
  db: Kysely<Database>,
  request: FastifyRequest,
  scopeOf: (accountId: number) => string,
): string[] {
  const apiKey = request.headers['api-key'];
  const accountId = typeof apiKey === 'string' ? knownApiKeyAccount(db, apiKey) : undefined;
  return accountId === undefined ? [] : [scopeOf(accountId)];
}
