import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * Scoped read-cache versions (src/db/read-cache.ts): one row per scope (a channel's report data, an
 * account's recordings, the API keys…), bumped by triggers in the transaction of every write to the
 * tables that scope covers. A cached answer is kept under the versions of its scopes, read when the
 * request runs, so a write leaves every unrelated answer cached, and no request that starts after a
 * write was acknowledged (by any process or instance) can be answered from before it. Triggers, not
 * calls in each write path: no path (an import, retention, a bulk load) can forget one.
 * SQLite: row triggers. PostgreSQL: statement triggers over the transition tables (one upsert per
 * statement, however many rows it wrote).
 */
/** Per table, the scopes a changed row bumps, as SQL over the row (`r`): the names of db/cache-scopes.ts. */
const SOURCES: Record<string, ((r: string) => string)[]> = {
  reports: [(r) => `'c:' || ${r}.channel_id`],
  report_reads: [(r) => `'cr:' || ${r}.channel_id`],
  report_images: [(r) => `'c:' || ${r}.channel_id`],
  alerts: [(r) => `'ca:' || ${r}.channel_id`],
  alert_deliveries: [(r) => `'ca:' || ${r}.channel_id`],
  alert_opens: [(r) => `'ca:' || (select a.channel_id from alerts a where a.id = ${r}.alert_id)`],
  forms: [(r) => `'c:' || ${r}.channel_id`],
  form_fields: [(r) => `'c:' || (select f.channel_id from forms f where f.id = ${r}.form_id)`],
  field_options: [
    (r) =>
      `'c:' || (select f.channel_id from form_fields ff join forms f on f.id = ff.form_id where ff.id = ${r}.field_id)`,
  ],
  channels: [(r) => `'a:' || ${r}.account_id`],
  states: [(r) => `'a:' || ${r}.account_id`],
  users: [(r) => `'a:' || ${r}.account_id`, () => `'u'`],
  accounts: [() => `'u'`, () => `'k'`],
  user_tokens: [() => `'u'`],
  api_keys: [() => `'k'`],
  recordings: [(r) => `'r:' || ${r}.account_id`],
  analytics_files: [(r) => `'f:' || ${r}.account_id`],
  statistics_snapshots: [() => `'s'`],
};

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('cache_versions')
    .addColumn('scope', 'text', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  for (const [table, scopes] of Object.entries(SOURCES)) {
    const bump = (row: string, from: string) =>
      `insert into cache_versions (scope, version) select distinct s, 1 from (${scopes
        .map((scope) => `select ${scope(row)} as s ${from}`)
        .join(' union all ')}) as changed where s is not null ` +
      `on conflict (scope) do update set version = cache_versions.version + 1`;
    if (engine === 'sqlite') {
      for (const [op, rows] of [
        ['insert', ['new']],
        ['update', ['old', 'new']],
        ['delete', ['old']],
      ] as const) {
        await sql
          .raw(
            `create trigger cache_${table}_${op} after ${op} on ${table} begin ${rows.map((row) => `${bump(row, '')};`).join(' ')} end`,
          )
          .execute(db);
      }
      continue;
    }
    await sql
      .raw(
        `create function cache_${table}() returns trigger language plpgsql as $$ begin
           if tg_op in ('INSERT', 'UPDATE') then ${bump('r', 'from new_rows r')}; end if;
           if tg_op in ('DELETE', 'UPDATE') then ${bump('r', 'from old_rows r')}; end if;
           return null;
         end $$`,
      )
      .execute(db);
    for (const [op, referencing] of [
      ['insert', 'new table as new_rows'],
      ['update', 'old table as old_rows new table as new_rows'],
      ['delete', 'old table as old_rows'],
    ] as const)
      await sql
        .raw(
          `create trigger cache_${table}_${op} after ${op} on ${table} referencing ${referencing} for each statement execute function cache_${table}()`,
        )
        .execute(db);
  }
}
