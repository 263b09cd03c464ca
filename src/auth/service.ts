import type { Kysely } from 'kysely';
import { isUniqueViolation, withExclusiveLock } from '../db/dialect.js';
import { cacheScope } from '../db/cache-scopes.js';
import { cachedRead } from '../db/read-cache.js';
import type { Database, UserRow } from '../db/schema.js';
import { conflict, invalidParams, notFound } from '../http/errors.js';
import {
  dummyPasswordHash,
  generatePassword,
  generateToken,
  hashPassword,
  hashToken,
  verifyPassword,
} from './crypto.js';
import { forgetVerified, lastVerified, rememberVerified } from './credential-speculation.js';
import { isRole, type Principal, type Role } from './permissions.js';
import * as repo from './repository.js';
import { CACHED_ROW_BYTES, createApiKey, type ApiKeyPair } from './api-keys.js';

// API keys live in api-keys.ts; other modules keep importing them from here.
export * from './api-keys.js';
import { randomUUID } from 'node:crypto';

/** A logged-in user as the rest of the service sees it. */
export interface AuthUser extends Principal {
  username: string;
  firstName: string;
  lastName: string;
  /** The token that authenticated this request (for logout). */
  tokenId: number;
}

export interface PublicUser {
  id: number;
  accountId: number;
  username: string;
  firstName: string;
  lastName: string;
  roles: Role[];
  active: boolean;
  createdAt: number;
  lastLoginAt: number | null;
}

export function parseRoles(json: string): Role[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((r): r is Role => typeof r === 'string' && isRole(r)) : [];
}

export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    accountId: row.account_id,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    roles: parseRoles(row.roles),
    active: row.active === 1,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
  };
}

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const USERNAME_RE = new RegExp(USERNAME_PATTERN);
export const MIN_PASSWORD_LENGTH = 8;

export interface NewUserInput {
  accountId: number;
  username: string;
  password?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  roles: string[];
}

export async function createAccount(db: Kysely<Database>, name: string, now = Date.now()) {
  const trimmed = name.trim();
  if (!trimmed) throw invalidParams('name must not be empty', { field: 'name' });
  const row = await repo.insertAccount(db, trimmed, now);
  return { id: row.id, name: row.name, createdAt: row.created_at };
}

export async function getAccount(db: Kysely<Database>, id: number) {
  const row = await repo.findAccount(db, id);
  return row && { id: row.id, name: row.name, createdAt: row.created_at };
}

export async function renameAccount(db: Kysely<Database>, id: number, name: string): Promise<void> {
  if (!(await repo.findAccount(db, id))) throw notFound(`account ${id} not found`);
  await repo.renameAccount(db, id, name);
}

export async function listAccounts(db: Kysely<Database>) {
  return (await repo.listAccounts(db)).map((a) => ({ id: a.id, name: a.name, createdAt: a.created_at }));
}

/** Creates a user; the password, when given, is stored only as a scrypt hash. */
export async function createUser(db: Kysely<Database>, input: NewUserInput, now = Date.now()): Promise<PublicUser> {
  if (!USERNAME_RE.test(input.username)) {
    throw invalidParams('username must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit', {
      field: 'username',
    });
  }
  if (input.password !== undefined && input.password.length < MIN_PASSWORD_LENGTH) {
    throw invalidParams(`password must have at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  }
  const badRole = input.roles.find((r) => !isRole(r));
  if (badRole !== undefined || input.roles.length === 0) {
    throw invalidParams(
      `roles must be a non-empty list of admin, manager, analyst, reporter${badRole ? ` (got "${badRole}")` : ''}`,
      { field: 'roles' },
    );
  }
  if (!(await repo.findAccount(db, input.accountId))) throw notFound(`account ${input.accountId} not found`);
  // Checked before hashing, which costs 32 MiB and ~100 ms; the unique index still decides races.
  const taken = () => conflict(`username "${input.username}" is taken`);
  if (await repo.findUserByUsername(db, input.username)) throw taken();
  try {
    const row = await repo.insertUser(db, {
      account_id: input.accountId,
      username: input.username,
      first_name: input.firstName ?? '',
      last_name: input.lastName ?? '',
      password_hash: input.password === undefined ? null : await hashPassword(input.password),
      roles: JSON.stringify([...new Set(input.roles)]),
      active: 1,
      created_at: now,
      last_login_at: null,
    });
    return toPublicUser(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw taken();
    throw error;
  }
}

/** Which of these users belong to the account (other modules refuse the others as unknown). */
export async function usersInAccount(
  db: Kysely<Database>,
  accountId: number,
  userIds: readonly number[],
): Promise<Set<number>> {
  if (userIds.length === 0) return new Set();
  return new Set(await repo.usersInAccount(db, accountId, userIds));
}

/** First and last names of users, by id (ids that name no user are absent). */
export async function namesOfUsers(
  db: Kysely<Database>,
  userIds: readonly number[],
): Promise<Map<number, { first_name: string; last_name: string }>> {
  if (userIds.length === 0) return new Map();
  const rows = await repo.namesOfUsers(db, [...new Set(userIds)]);
  return new Map(rows.map((r) => [r.id, { first_name: r.first_name, last_name: r.last_name }]));
}

/** Names of some users of an account, for readers of analytics (ids of other accounts are left out). */
export async function userNamesInAccount(db: Kysely<Database>, accountId: number, userIds: readonly number[]) {
  return userIds.length === 0 ? [] : repo.userNamesInAccount(db, accountId, [...new Set(userIds)]);
}

export async function getUser(db: Kysely<Database>, id: number): Promise<PublicUser | undefined> {
  const row = await repo.findUserById(db, id);
  return row && toPublicUser(row);
}

export async function findUser(db: Kysely<Database>, username: string): Promise<PublicUser | undefined> {
  const row = await repo.findUserByUsername(db, username);
  return row && toPublicUser(row);
}

export async function listUsers(db: Kysely<Database>, accountId?: number): Promise<PublicUser[]> {
  return (await repo.listUsers(db, accountId)).map(toPublicUser);
}

/** Deactivates a user and ends all their sessions. */
export async function deactivateUser(db: Kysely<Database>, username: string): Promise<PublicUser> {
  const row = await repo.findUserByUsername(db, username);
  if (!row) throw notFound(`user "${username}" not found`);
  await db.transaction().execute(async (trx) => {
    await repo.updateUserActive(trx, row.id, false);
    await repo.deleteTokensOfUser(trx, row.id);
  });
  return { ...toPublicUser(row), active: false };
}

/** Where a token came from: `POST /api/v1/login`, the console's login (a cookie), or `recap users token`. */
export type TokenOrigin = 'login' | 'console' | 'cli';

/** Issues a new token for a user; only its hash is stored. */
export async function issueToken(
  db: Kysely<Database>,
  userId: number,
  ttlMs: number,
  origin: TokenOrigin,
  now = Date.now(),
) {
  const token = generateToken();
  await repo.insertToken(db, {
    user_id: userId,
    token_hash: hashToken(token),
    created_at: now,
    expires_at: now + ttlMs,
    origin,
  });
  return { token, expiresAt: now + ttlMs };
}

/**
 * Username + password → a new token. Returns undefined for any failure (unknown user, wrong
 * password, deactivated, no password), taking the same time in each case.
 */
export async function login(
  db: Kysely<Database>,
  username: string,
  password: string,
  ttlMs: number,
  origin: 'login' | 'console' = 'login',
  now = Date.now(),
) {
  const row = await repo.findUserByUsername(db, username);
  const hash = row?.password_hash ?? (await dummyPasswordHash());
  const ok = await verifyPassword(password, hash);
  if (!row || !ok || row.active !== 1 || row.password_hash === null) return undefined;
  const issued = await issueToken(db, row.id, ttlMs, origin, now);
  await repo.updateLastLogin(db, row.id, now);
  return { user: toPublicUser({ ...row, last_login_at: now }), token: issued.token };
}

/**
 * The user a token belongs to, if the token is valid, unexpired and its user active. With
 * `expectedUserId` (Rocket.Chat's X-User-Id) the token must belong to that user.
 */
export async function authenticateToken(
  db: Kysely<Database>,
  token: string,
  expectedUserId?: string,
  now = Date.now(),
): Promise<AuthUser | undefined> {
  const tokenHash = hashOfPlausibleToken(token);
  if (tokenHash === undefined) return undefined;
  const row = await cachedRead(
    db,
    [cacheScope.users],
    `auth:token|${tokenHash}`,
    () => repo.findTokenWithUser(db, tokenHash),
    () => CACHED_ROW_BYTES,
  );
  if (!row || row.expires_at <= now || row.active !== 1) {
    forgetVerified(db, verifiedKeyOfToken(tokenHash));
    return undefined;
  }
  if (!isExpectedUser(row.id, expectedUserId)) return undefined;
  const user: AuthUser = {
    userId: row.id,
    accountId: row.account_id,
    roles: parseRoles(row.roles),
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    tokenId: row.token_id,
  };
  rememberVerified(db, verifiedKeyOfToken(tokenHash), { user, expiresAt: row.expires_at });
  return user;
}

/** The user `token` named when this process last verified it, if unexpired (credential-speculation.ts). */
export function lastVerifiedUser(
  db: Kysely<Database>,
  token: string,
  expectedUserId?: string,
  now = Date.now(),
): AuthUser | undefined {
  const tokenHash = hashOfPlausibleToken(token);
  if (tokenHash === undefined) return undefined;
  const last = lastVerified<{ user: AuthUser; expiresAt: number }>(db, verifiedKeyOfToken(tokenHash));
  if (!last || last.expiresAt <= now || !isExpectedUser(last.user.userId, expectedUserId)) return undefined;
  return last.user;
}

/** A token's hash, or undefined for a value no issued token can be (empty, over 256 characters). */
const hashOfPlausibleToken = (token: string) => (!token || token.length > 256 ? undefined : hashToken(token));
const verifiedKeyOfToken = (tokenHash: string) => `token:${tokenHash}`;
/** Rocket.Chat's X-User-Id, when given, must name the token's user. */
const isExpectedUser = (userId: number, expectedUserId: string | undefined) =>
  expectedUserId === undefined || String(userId) === expectedUserId;

export const isSameUser = (a: AuthUser, b: AuthUser): boolean =>
  a.userId === b.userId &&
  a.accountId === b.accountId &&
  a.tokenId === b.tokenId &&
  a.roles.join() === b.roles.join() &&
  a.username === b.username &&
  a.firstName === b.firstName &&
  a.lastName === b.lastName;

export async function logout(db: Kysely<Database>, tokenId: number): Promise<void> {
  await repo.deleteToken(db, tokenId);
}

export interface BootstrapResult {
  admin: { username: string; password: string; passwordGenerated: boolean };
  apiKey: ApiKeyPair & { secretGenerated: boolean };
}

const BOOTSTRAP_LOCK = 0x7265_6361; // "reca"

/**
 * First start on an empty database: account 1, the admin user and one API key pair, plus the
 * instance's unique id. Returns what was created (to print once), or undefined when the database
 * already had users. Several instances starting at once create them once.
 */
export async function bootstrap(
  db: Kysely<Database>,
  options: {
    adminUsername?: string | undefined;
    adminPassword?: string | undefined;
    apiKey?: string | undefined;
    apiSecret?: string | undefined;
  },
  now = Date.now(),
): Promise<BootstrapResult | undefined> {
  return withExclusiveLock(db, BOOTSTRAP_LOCK, async (trx) => {
    if ((await repo.countUsers(trx)) > 0) return undefined;
    if (!(await repo.getInstanceSetting(trx, 'unique_id'))) {
      await repo.putInstanceSetting(trx, 'unique_id', randomUUID());
      await repo.putInstanceSetting(trx, 'installed_at', String(now));
    }
    const account = (await repo.findAccount(trx, 1)) ?? (await repo.insertAccount(trx, 'Default', now));
    const password = options.adminPassword ?? generatePassword();
    const username = options.adminUsername ?? 'admin';
    await createUser(
      trx,
      { accountId: account.id, username, password, firstName: 'Admin', lastName: '', roles: ['admin'] },
      now,
    );
    const pair = await createApiKey(
      trx,
      {
        accountId: account.id,
        apiKey: options.apiKey,
        apiSecret: options.apiSecret,
        description: 'created on first start',
      },
      now,
    );
    return {
      admin: { username, password, passwordGenerated: options.adminPassword === undefined },
      apiKey: { apiKey: pair.apiKey, apiSecret: pair.apiSecret, secretGenerated: options.apiSecret === undefined },
    };
  });
}

export interface UserStatistics {
  totalUsers: number;
  activeUsers: number;
  nonActiveUsers: number;
  onlineUsers: number;
  awayUsers: number;
  offlineUsers: number;
  totalAccounts: number;
  lastLogin: string;
}

/**
 * The figures identities contribute to server statistics. Recap has no presence: a user is
 * "online" while holding an unexpired login token, never "away", otherwise "offline".
 */
export async function userStatistics(db: Kysely<Database>, now = Date.now()): Promise<UserStatistics> {
  const t = await repo.userTotals(db, now);
  return {
    totalUsers: t.total,
    activeUsers: t.active,
    nonActiveUsers: t.total - t.active,
    onlineUsers: t.loggedIn,
    awayUsers: 0,
    offlineUsers: t.active - t.loggedIn,
    totalAccounts: t.accounts,
    // Rocket.Chat sends "" when nobody ever logged in.
    lastLogin: t.lastLogin === null ? '' : new Date(t.lastLogin).toISOString(),
  };
}
