import type { Kysely } from 'kysely';
import { canAccessAccount, hasPermission } from '../auth/permissions.js';
import { usersInAccount, type AuthUser } from '../auth/service.js';
import { lastingFacts } from '../db/lasting-facts.js';
import type { Database } from '../db/schema.js';
import { forbidden, invalidParams, notFound } from '../http/errors.js';
import { parseInstant } from '../shared/time.js';
import * as repo from './repository.js';

/** Who may see what in Reports v4: rows of the caller's account, and the user an action is for. */

export type Caller = Pick<AuthUser, 'userId' | 'accountId' | 'roles'>;

/** A row of another account is "not found", exactly like a missing one (no existence leak). */
export function visible<T extends { account_id: number }>(caller: Caller, row: T | undefined, what: string): T {
  if (!row || !canAccessAccount(caller, row.account_id)) throw notFound(`${what} not found`);
  return row;
}

export function instant(value: string | undefined, field: string, nowMs: number): number {
  if (value === undefined) return nowMs;
  const ms = parseInstant(value);
  if (ms === undefined) throw invalidParams(`${field} must be an ISO 8601 timestamp with Z or an offset`, { field });
  return ms;
}

/** The user an action is recorded for: the caller, or (with `permission`) another user of the account. */
export async function actingUser(
  db: Kysely<Database>,
  caller: Caller,
  accountId: number,
  userId: number | undefined,
  permission: 'manage-reports' | 'send-alerts',
): Promise<number> {
  if (userId === undefined || userId === caller.userId) return caller.userId;
  if (!hasPermission(caller, permission)) throw forbidden(`acting for another user needs ${permission}`);
  if (!(await usersInAccount(db, accountId, [userId])).has(userId)) throw notFound('user not found');
  return userId;
}

export const getChannel = async (db: Kysely<Database>, caller: Caller, id: number) =>
  visible(caller, await repo.findNamed(db, 'channels', id), 'channel');

/** Channel id → account id: a channel never changes account and is never deleted. */
const channelAccounts = lastingFacts<number, number>(100_000);

/** The account of a channel seen before, without a query (undefined: not seen yet). */
export const knownChannelAccount = (db: Kysely<Database>, id: number): number | undefined =>
  channelAccounts.get(db, id);

/**
 * A visible channel's id and account, without a query once seen (analytics open a window per
 * request; on PostgreSQL the lookup was a round trip of its own).
 */
export async function getChannelOwner(
  db: Kysely<Database>,
  caller: Caller,
  id: number,
): Promise<{ id: number; account_id: number }> {
  let accountId = channelAccounts.get(db, id);
  if (accountId === undefined) {
    accountId = (await repo.findNamed(db, 'channels', id))?.account_id;
    if (accountId !== undefined) channelAccounts.set(db, id, accountId);
  }
  return visible(caller, accountId === undefined ? undefined : { id, account_id: accountId }, 'channel');
}

/** What analytics need of a field, and its form's channel: none of it ever changes. */
export interface FieldFacts {
  id: number;
  account_id: number;
  form_id: number;
  field_type: string;
  /** The channel of the field's form (undefined: the form is gone). */
  channel_id: number | undefined;
}

const fieldFacts = lastingFacts<number, FieldFacts>(100_000);

/**
 * A field of a visible channel's form (analytics take field ids), without a query once seen:
 * forms and fields are never changed, so a field's type and its form's channel stay as they were.
 */
export async function getField(db: Kysely<Database>, caller: Caller, id: number): Promise<FieldFacts> {
  let facts = fieldFacts.get(db, id);
  if (facts === undefined) {
    const field = await repo.findField(db, id);
    if (field) {
      const form = await repo.findForm(db, field.form_id);
      const { account_id, form_id, field_type } = field;
      facts = { id, account_id, form_id, field_type, channel_id: form?.channel_id };
      if (form) fieldFacts.set(db, id, facts);
    }
  }
  return visible(caller, facts, 'field');
}
