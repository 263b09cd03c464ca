import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import type { Database, WebhookDeliveriesTable, WebhookDeliveryRow, WebhookSettingsTable } from '../db/schema.js';

/** Every query on webhook settings and the delivery queue. */

export type WebhookSettingsRow = Selectable<WebhookSettingsTable>;
export type NewDelivery = Insertable<WebhookDeliveriesTable>;

export async function findSettings(db: Kysely<Database>, accountId: number): Promise<WebhookSettingsRow | undefined> {
  return db.selectFrom('webhook_settings').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

export async function putSettings(db: Kysely<Database>, row: WebhookSettingsRow): Promise<void> {
  await db
    .insertInto('webhook_settings')
    .values(row)
    .onConflict((oc) =>
      oc.column('account_id').doUpdateSet({
        url: row.url,
        signing_api_key: row.signing_api_key,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function insertDeliveries(db: Kysely<Database>, rows: readonly NewDelivery[]): Promise<void> {
  if (rows.length > 0)
    await db
      .insertInto('webhook_deliveries')
      .values([...rows])
      .execute();
}

/** The id of the delivery due first, of a host that is not busy (a read: an idle poll takes no write lock). */
export async function firstDue(
  db: Kysely<Database>,
  q: { now: number; busyHosts: readonly string[] },
): Promise<number | undefined> {
  // The literal 'pending' (not a parameter) lets SQLite use the partial index of pending rows.
  let query = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('state', '=', sql.lit('pending'))
    .where('next_attempt_at', '<=', q.now);
  if (q.busyHosts.length > 0) query = query.where('host', 'not in', q.busyHosts);
  return (await query.orderBy('next_attempt_at').limit(1).executeTakeFirst())?.id;
}

/**
 * Claims a delivery if it is still due: its due time moves forward by the lease and `claim` names
 * the holder. The condition is checked on the row being updated, so when two instances race for a
 * row (PostgreSQL re-reads a row another transaction changed) exactly one of them gets it.
 */
export async function claimDelivery(
  db: Kysely<Database>,
  c: { id: number; now: number; leaseUntil: number; claim: string },
): Promise<WebhookDeliveryRow | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set((eb) => ({ next_attempt_at: c.leaseUntil, claim: c.claim, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', c.id)
    .where('state', '=', 'pending')
    .where('next_attempt_at', '<=', c.now)
    .returningAll()
    .executeTakeFirst();
}

export type AttemptOutcome =
  | { state: 'delivered'; status: number; at: number }
  | { state: 'pending' | 'failed'; status: number | null; error: string; at: number; nextAttemptAt: number };

/** Records an attempt's outcome, if the row is still held by this claim (a lease can run out). */
export async function recordAttempt(
  db: Kysely<Database>,
  id: number,
  claim: string,
  outcome: AttemptOutcome,
): Promise<void> {
  const common = { claim: null, last_attempt_at: outcome.at, last_status: outcome.status };
  await db
    .updateTable('webhook_deliveries')
    .set(
      outcome.state === 'delivered'
        ? { ...common, state: 'delivered', delivered_at: outcome.at, last_error: null }
        : { ...common, state: outcome.state, next_attempt_at: outcome.nextAttemptAt, last_error: outcome.error },
    )
    .where('id', '=', id)
    .where('claim', '=', claim)
    .execute();
}

/** A page of an account's deliveries, newest first, before the id `before`. */
export async function pageDeliveries(
  db: Kysely<Database>,
  q: { accountId: number; before: number | undefined; limit: number; event?: string | undefined; state?: string },
): Promise<WebhookDeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', q.accountId);
  if (q.before !== undefined) query = query.where('id', '<', q.before);
  if (q.event !== undefined) query = query.where('event', '=', q.event);
  if (q.state !== undefined) query = query.where('state', '=', q.state as WebhookDeliveryRow['state']);
  return query.orderBy('id', 'desc').limit(q.limit).execute();
}

/** Deletes up to `limit` finished deliveries created before `before`; returns how many went. */
export async function deleteOldDeliveries(db: Kysely<Database>, before: number, limit: number): Promise<number> {
  const old = db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('created_at', '<', before)
    .where('state', '<>', 'pending')
    .orderBy('created_at')
    .limit(limit);
  const result = await db.deleteFrom('webhook_deliveries').where('id', 'in', old).executeTakeFirst();
  return Number(result.numDeletedRows);
}
