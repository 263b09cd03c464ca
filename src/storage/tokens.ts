import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import type { Kysely } from 'kysely';
import { cachedInstanceSecret, SECRETS } from '../auth/instance.js';
import { findApiClient, type ApiClient } from '../auth/service.js';
import type { Database } from '../db/schema.js';

/**
 * Short-lived download and upload tokens. To a client they are opaque strings it passes back, as
 * plugNmeet's are. Inside, they name a stored object — kind, account, row id — never a path, and
 * are signed with a secret of this installation that no API client holds (`secret:file-tokens`,
 * made at first use; `recap secrets rotate` replaces it). `iss` is the API key that asked for the
 * token: a token is honoured only while that key is active and still belongs to the token's
 * account, so revoking a key revokes its tokens.
 */

export type FileTokenKind = 'recording' | 'analytics' | 'upload';

export interface FileTokenClaims {
  /** The API key that asked for the token. */
  iss: string;
  kind: FileTokenKind;
  /** The account the object belongs to. */
  acc: number;
  /** The object's row id (downloads). */
  obj?: number;
  /** What an upload will register (uploads); the server derives the path from it. */
  data?: Record<string, unknown>;
  nbf: number;
  exp: number;
}

/** The signer and verifier of a secret (synchronous: the key is a buffer, not a callback). */
const jwtOf = (key: Buffer) => ({
  sign: createSigner({ key, algorithm: 'HS256' }),
  verify: createVerifier({ key, algorithms: ['HS256'] }),
});
const jwts = new WeakMap<Buffer, ReturnType<typeof jwtOf>>();

/** The installation secret's signer and verifier, built once per secret (a download checks one). */
async function fileTokenJwt(db: Kysely<Database>): Promise<ReturnType<typeof jwtOf>> {
  const key = await cachedInstanceSecret(db, SECRETS.fileTokens);
  let jwt = jwts.get(key);
  if (!jwt) jwts.set(key, (jwt = jwtOf(key)));
  return jwt;
}

export async function signFileToken(
  db: Kysely<Database>,
  client: ApiClient,
  claims: { kind: FileTokenKind; obj?: number; data?: Record<string, unknown> },
  ttlMs: number,
  nowMs = Date.now(),
): Promise<string> {
  const { sign } = await fileTokenJwt(db);
  const now = Math.floor(nowMs / 1000);
  return sign({ iss: client.apiKey, acc: client.accountId, ...claims, nbf: now, exp: now + Math.ceil(ttlMs / 1000) });
}

export type FileTokenCheck =
  { ok: true; claims: FileTokenClaims; client: ApiClient } | { ok: false; reason: 'invalid' | 'expired' };

const isClaims = (value: Record<string, unknown>): boolean =>
  typeof value.iss === 'string' &&
  typeof value.kind === 'string' &&
  Number.isSafeInteger(value.acc) &&
  (value.obj === undefined || Number.isSafeInteger(value.obj));

/**
 * Verifies a token of `kind`: signature (constant time, in fast-jwt), expiry, kind, and that the key
 * that asked for it is still active in the same account. Any malformed token is 'invalid'.
 */
export async function verifyFileToken(
  db: Kysely<Database>,
  token: string,
  kind: FileTokenKind,
): Promise<FileTokenCheck> {
  const { verify } = await fileTokenJwt(db);
  let claims: Record<string, unknown>;
  try {
    claims = verify(token) as Record<string, unknown>;
  } catch (error) {
    const expired = error instanceof TokenError && error.code === TokenError.codes.expired;
    return { ok: false, reason: expired ? 'expired' : 'invalid' };
  }
  if (!isClaims(claims) || claims.kind !== kind) return { ok: false, reason: 'invalid' };
  const typed = claims as unknown as FileTokenClaims;
  const client = await findApiClient(db, typed.iss);
  if (!client || client.accountId !== typed.acc) return { ok: false, reason: 'invalid' };
  return { ok: true, claims: typed, client };
}
