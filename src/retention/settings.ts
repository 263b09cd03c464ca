import type { Kysely, Selectable } from 'kysely';
import { listAccounts } from '../auth/service.js';
import type { Database, RetentionSettingsTable } from '../db/schema.js';

/**
 * Retention periods: the installation's defaults (RECAP_RETENTION_*_DAYS) and an account's own,
 * per kind of data. An account's null means "the default"; 0 (either level) keeps data forever.
 */

export const RETENTION_KINDS = ['room_events', 'analytics_files', 'recordings', 'reports'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** Days per kind (0: forever). */
export type RetentionDays = Record<RetentionKind, number>;
/** An account's own days per kind (null: the installation's default). */
export type AccountRetentionDays = Record<RetentionKind, number | null>;

export interface RetentionView {
  account_id: number;
  /** What the account set itself (null: the default applies). */
  account: AccountRetentionDays;
  defaults: RetentionDays;
  /** What the janitor applies (0: kept forever). */
  effective: RetentionDays;
}

const column = (kind: RetentionKind) => `${kind}_days` as const;

const NONE: AccountRetentionDays = { room_events: null, analytics_files: null, recordings: null, reports: null };

function view(accountId: number, account: AccountRetentionDays, defaults: RetentionDays): RetentionView {
  const effective = { ...defaults };
  for (const kind of RETENTION_KINDS) effective[kind] = account[kind] ?? defaults[kind];
  return { account_id: accountId, account, defaults, effective };
}

const ownDays = (row: Selectable<RetentionSettingsTable>): AccountRetentionDays =>
  Object.fromEntries(RETENTION_KINDS.map((kind) => [kind, row[column(kind)]])) as AccountRetentionDays;

async function accountDays(db: Kysely<Database>): Promise<Map<number, AccountRetentionDays>> {
  const rows = await db.selectFrom('retention_settings').selectAll().execute();
  return new Map(rows.map((row) => [Number(row.account_id), ownDays(row)]));
}

export async function getRetention(
  db: Kysely<Database>,
  accountId: number,
  defaults: RetentionDays,
): Promise<RetentionView> {
  const row = await db
    .selectFrom('retention_settings')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return view(accountId, row ? ownDays(row) : NONE, defaults);
}

/** Sets some of an account's periods (null: back to the default); the others keep their value. */
export async function putRetention(
  db: Kysely<Database>,
  accountId: number,
  changes: Partial<AccountRetentionDays>,
  defaults: RetentionDays,
  now = Date.now(),
): Promise<RetentionView> {
  const set = Object.fromEntries(
    RETENTION_KINDS.filter((kind) => changes[kind] !== undefined).map((kind) => [column(kind), changes[kind]!]),
  );
  await db
    .insertInto('retention_settings')
    .values({ account_id: accountId, ...set, updated_at: now })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ ...set, updated_at: now }))
    .execute();
  return getRetention(db, accountId, defaults);
}

/** Every account's retention, as the janitor applies it. */
export async function everyAccountsRetention(db: Kysely<Database>, defaults: RetentionDays): Promise<RetentionView[]> {
  const [accounts, own] = await Promise.all([listAccounts(db), accountDays(db)]);
  return accounts.map((account) => view(account.id, own.get(account.id) ?? NONE, defaults));
}
