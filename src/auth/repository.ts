import type { Kysely } from 'kysely';
import { isOneOf, lower } from '../db/dialect.js';
import { executeNamed, preparedQuery, type QueryShape } from '../db/prepared.js';
import type { ApiKeyRow, Database, NewUser, UserRow } from '../db/schema.js';

/** Every query on accounts, users, user tokens and API keys. */

export async function insertAccount(
  db: Kysely<Database>,
  name: string,
  now: number,
): Promise<{ id: number; name: string; created_at: number }> {
  return db.insertInto('accounts').values({ name, created_at: now }).returningAll().executeTakeFirstOrThrow();
}

export async function findAccount(db: Kysely<Database>, id: number) {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function renameAccount(db: Kysely<Database>, id: number, name: string): Promise<void> {
  await db.updateTable('accounts').set({ name }).where('id', '=', id).execute();
}

export async function listAccounts(db: Kysely<Database>) {
  return db.selectFrom('accounts').selectAll().orderBy('id').execute();
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertUser(db: Kysely<Database>, user: NewUser): Promise<UserRow> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export async function findUserById(db: Kysely<Database>, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findUserByUsername(db: Kysely<Database>, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where(lower('username'), '=', username.toLowerCase()).executeTakeFirst();
}

export async function listUsers(db: Kysely<Database>, accountId?: number): Promise<UserRow[]> {
  let query = db.selectFrom('users').selectAll().orderBy('id');
  if (accountId !== undefined) query = query.where('account_id', '=', accountId);
  return query.execute();
}

export async function updateUserActive(db: Kysely<Database>, id: number, active: boolean): Promise<void> {
  await db
    .updateTable('users')
    .set({ active: active ? 1 : 0 })
    .where('id', '=', id)
    .execute();
}

export async function updateLastLogin(db: Kysely<Database>, id: number, now: number): Promise<void> {
  await db.updateTable('users').set({ last_login_at: now }).where('id', '=', id).execute();
}

export async function insertToken(
  db: Kysely<Database>,
  token: { user_id: number; token_hash: string; created_at: number; expires_at: number; origin: string },
): Promise<number> {
  const row = await db.insertInto('user_tokens').values(token).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** The token's user, joined in one query (this runs on every authenticated request). */
// Every authenticated call runs it: prepared (see db/prepared.ts).
const tokenWithUserQuery = preparedQuery((db, _shape: QueryShape, v: { tokenHash: string }) =>
  db
    .selectFrom('user_tokens')
    .innerJoin('users', 'users.id', 'user_tokens.user_id')
    .select([
      'user_tokens.id as token_id',
      'user_tokens.expires_at',
      'users.id',
      'users.account_id',
      'users.username',
      'users.first_name',
      'users.last_name',
      'users.roles',
      'users.active',
    ])
    .where('user_tokens.token_hash', '=', v.tokenHash),
);

export async function findTokenWithUser(db: Kysely<Database>, tokenHash: string) {
  const [row] = await tokenWithUserQuery(db, {}, { tokenHash });
  return row;
}

export async function deleteToken(db: Kysely<Database>, tokenId: number): Promise<void> {
  await db.deleteFrom('user_tokens').where('id', '=', tokenId).execute();
}

export async function deleteTokensOfUser(db: Kysely<Database>, userId: number): Promise<void> {
  await db.deleteFrom('user_tokens').where('user_id', '=', userId).execute();
}

export async function insertApiKey(
  db: Kysely<Database>,
  key: { account_id: number; api_key: string; api_secret: string; description: string; created_at: number },
): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(key).returningAll().executeTakeFirstOrThrow();
}

/** An API key that has not been revoked. */
// Every signed call runs it: prepared (see db/prepared.ts).
const activeApiKeyQuery = preparedQuery((db, _shape: QueryShape, v: { apiKey: string }) =>
  db.selectFrom('api_keys').selectAll().where('api_key', '=', v.apiKey).where('revoked_at', 'is', null),
);

export async function findActiveApiKey(db: Kysely<Database>, apiKey: string): Promise<ApiKeyRow | undefined> {
  const [row] = await activeApiKeyQuery(db, {}, { apiKey });
  return row;
}

/** An account's oldest API key that has not been revoked. */
export async function oldestActiveApiKey(db: Kysely<Database>, accountId: number): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

export async function listApiKeys(db: Kysely<Database>): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('id').execute();
}

export async function revokeApiKey(db: Kysely<Database>, apiKey: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('api_key', '=', apiKey)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function getInstanceSetting(db: Kysely<Database>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('instance_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function putInstanceSetting(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('instance_settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export async function putInstanceSettingIfAbsent(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('instance_settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}

/** Users by state, and holders of a live login token, for server statistics. Users is a small table. */
export async function userTotals(db: Kysely<Database>, now: number) {
  const users = await db
    .selectFrom('users')
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      eb.fn.sum<number>('active').as('active'),
      eb.fn.max('last_login_at').as('lastLogin'),
      eb.fn.count<number>('last_login_at').as('everLoggedIn'),
    ])
    .executeTakeFirstOrThrow();
  const loggedIn = await db
    .selectFrom('user_tokens')
    .innerJoin('users', 'users.id', 'user_tokens.user_id')
    .select((eb) => eb.fn.count<number>('user_tokens.user_id').distinct().as('n'))
    .where('user_tokens.expires_at', '>', now)
    .where('users.active', '=', 1)
    .executeTakeFirstOrThrow();
  const accounts = await db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    total: Number(users.total),
    active: Number(users.active ?? 0),
    lastLogin: users.lastLogin === null ? null : Number(users.lastLogin),
    loggedIn: Number(loggedIn.n),
    accounts: Number(accounts.n),
  };
}

export async function usersInAccount(
  db: Kysely<Database>,
  accountId: number,
  userIds: readonly number[],
): Promise<number[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', 'in', userIds)
    .execute();
  return rows.map((r) => r.id);
}

export async function namesOfUsers(db: Kysely<Database>, userIds: readonly number[]) {
  return executeNamed(
    db,
    db
      .selectFrom('users')
      .select(['id', 'account_id', 'first_name', 'last_name'])
      .where(isOneOf(db, 'id', userIds)),
  );
}

/** Usernames and names of some users of one account (others are left out). */
export async function userNamesInAccount(db: Kysely<Database>, accountId: number, userIds: readonly number[]) {
  return db
    .selectFrom('users')
    .select(['id', 'username', 'first_name', 'last_name'])
    .where('account_id', '=', accountId)
    .where('id', 'in', userIds)
    .orderBy('id')
    .execute();
}
