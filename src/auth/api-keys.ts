import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/dialect.js';
import { cacheScope } from '../db/cache-scopes.js';
import { lastingFacts } from '../db/lasting-facts.js';
import { forgetVerified, lastVerified, rememberVerified } from './credential-speculation.js';
import { cachedRead } from '../db/read-cache.js';
import type { ApiKeyRow, Database } from '../db/schema.js';
import { conflict, invalidParams, notFound } from '../http/errors.js';
import * as repo from './repository.js';

/** API key pairs: what plugNmeet-style servers sign their calls with, per account. */

/** A server-to-server caller authenticated by an API key pair. */
export interface ApiClient {
  apiKeyId: number;
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

/** Rough size of a cached credential row (read-cache.ts): a few short strings. */
export const CACHED_ROW_BYTES = 512;

export interface ApiKeyPair {
  apiKey: string;
  apiSecret: string;
}

export const API_KEY_PATTERN = '^[A-Za-z0-9_.-]{3,128}$';

export async function createApiKey(
  db: Kysely<Database>,
  input: {
    accountId: number;
    apiKey?: string | undefined;
    apiSecret?: string | undefined;
    description?: string | undefined;
  },
  now = Date.now(),
): Promise<ApiKeyPair & { accountId: number }> {
  const apiKey = input.apiKey ?? `recap_${randomBytes(8).toString('hex')}`;
  const apiSecret = input.apiSecret ?? randomBytes(27).toString('base64url');
  if (!new RegExp(API_KEY_PATTERN).test(apiKey))
    throw invalidParams('API key must be 3-128 letters, digits, ".", "_" or "-"');
  if (apiSecret.length < 16) throw invalidParams('API secret must have at least 16 characters');
  if (!(await repo.findAccount(db, input.accountId))) throw notFound(`account ${input.accountId} not found`);
  try {
    await repo.insertApiKey(db, {
      account_id: input.accountId,
      api_key: apiKey,
      api_secret: apiSecret,
      description: input.description ?? '',
      created_at: now,
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`API key "${apiKey}" exists`);
    throw error;
  }
  return { apiKey, apiSecret, accountId: input.accountId };
}

const toApiClient = (row: ApiKeyRow): ApiClient => ({
  apiKeyId: row.id,
  accountId: row.account_id,
  apiKey: row.api_key,
  apiSecret: row.api_secret,
});

/** API key → account, once seen: a key never changes account (a hint, never a check). */
const keyAccounts = lastingFacts<string, number>(10_000);

/** The account an API key was last seen to belong to, without a query (undefined: not seen). */
export const knownApiKeyAccount = (db: Kysely<Database>, apiKey: string): number | undefined =>
  keyAccounts.get(db, apiKey);

export async function findApiClient(db: Kysely<Database>, apiKey: string): Promise<ApiClient | undefined> {
  const row: ApiKeyRow | undefined = await cachedRead(
    db,
    [cacheScope.apiKeys],
    `auth:api-key|${apiKey}`,
    () => repo.findActiveApiKey(db, apiKey),
    () => CACHED_ROW_BYTES,
  );
  if (!row) {
    forgetVerified(db, verifiedKeyOfApiKey(apiKey));
    return undefined;
  }
  keyAccounts.set(db, apiKey, row.account_id);
  const client = toApiClient(row);
  rememberVerified(db, verifiedKeyOfApiKey(apiKey), client);
  return client;
}

/** The active key pair `apiKey` named when this process last looked it up (credential-speculation.ts). */
export const lastVerifiedApiClient = (db: Kysely<Database>, apiKey: string) =>
  lastVerified<ApiClient>(db, verifiedKeyOfApiKey(apiKey));

const verifiedKeyOfApiKey = (apiKey: string) => `key:${apiKey}`;

export const isSameApiClient = (a: ApiClient, b: ApiClient): boolean =>
  a.apiKeyId === b.apiKeyId && a.accountId === b.accountId && a.apiKey === b.apiKey && a.apiSecret === b.apiSecret;

/**
 * The key pair that signs what Recap sends an account (webhooks): the named key while it is active
 * in that account, otherwise the account's oldest active key.
 */
export async function signingApiClient(
  db: Kysely<Database>,
  accountId: number,
  preferredKey: string | null,
): Promise<ApiClient | undefined> {
  const preferred = preferredKey === null ? undefined : await findApiClient(db, preferredKey);
  if (preferred?.accountId === accountId) return preferred;
  const row = await repo.oldestActiveApiKey(db, accountId);
  return row && toApiClient(row);
}

export const listApiKeys = (db: Kysely<Database>) => repo.listApiKeys(db);

export async function revokeApiKey(db: Kysely<Database>, apiKey: string, now = Date.now()): Promise<void> {
  if (!(await repo.revokeApiKey(db, apiKey, now))) throw notFound(`no active API key "${apiKey}"`);
}
