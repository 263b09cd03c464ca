import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull } from '../dialect.js';

/**
 * Exact distinct counts without scanning a window's rows (src/reports/distinct/).
 *
 * A distinct count over [L, R) is the number of rows in the window whose previous occurrence of the
 * same key (by time, then id) is before L. So every read keeps the time of the previous and the next
 * read of the same report, of the same user in the channel, and of the same (user, report) pair,
 * and `report_read_days` counts reads per channel, key kind, UTC day and day of the previous
 * occurrence: a year is summed from a few thousand cells, with raw reads only in the partial days
 * at the window's edges.
 *
 * A delivery keeps the time of the previous delivery of the same alert and of the same report to the
 * same user, and whether the user opened the alert: user_awareness then counts a user's window from
 * one covering index range, per user of `alert_recipients`.
 *
 * The SQLite update triggers of the read cache (0021) now watch only the columns a reader sees:
 * relinking a chain is part of a write that has already bumped the scope.
 */
const DAY_MS = 86_400_000;
/** The previous-day of a row with no previous occurrence: before any real day. */
const NO_DAY = -1_000_000_000;

const READ_CHAINS = [
  { kind: 0, suffix: 'report', partition: 'report_id' },
  { kind: 1, suffix: 'user', partition: 'channel_id, user_id' },
  { kind: 2, suffix: 'pair', partition: 'report_id, user_id' },
] as const;

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  for (const { suffix } of READ_CHAINS)
    for (const side of ['prev', 'next'])
      await db.schema.alterTable('report_reads').addColumn(`${side}_${suffix}_at`, 'bigint').execute();
  let days = db.schema
    .createTable('report_read_days')
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('kind', 'integer', notNull)
    .addColumn('day', 'integer', notNull)
    .addColumn('prev_day', 'integer', notNull)
    .addColumn('n', 'bigint', notNull)
    .addPrimaryKeyConstraint('report_read_days_pkey', ['channel_id', 'kind', 'day', 'prev_day'] as never);
  if (engine === 'sqlite') days = days.modifyEnd(sql`without rowid`);
  await days.execute();
  await db.schema
    .createIndex('report_reads_channel_user_time_idx')
    .on('report_reads')
    .columns(['channel_id', 'user_id', 'read_at'])
    .execute();

  await db.schema.alterTable('alert_deliveries').addColumn('prev_alert_at', 'bigint').execute();
  await db.schema.alterTable('alert_deliveries').addColumn('prev_report_at', 'bigint').execute();
  await db.schema
    .alterTable('alert_deliveries')
    .addColumn('opened', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  let recipients = db.schema
    .createTable('alert_recipients')
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('user_id', 'bigint', notNull)
    .addPrimaryKeyConstraint('alert_recipients_pkey', ['channel_id', 'user_id'] as never);
  if (engine === 'sqlite') recipients = recipients.modifyEnd(sql`without rowid`);
  await recipients.execute();

  if (engine === 'sqlite') {
    for (const [table, columns] of [
      ['report_reads', 'report_id, channel_id, user_id, read_at'],
      ['alert_deliveries', 'alert_id, report_id, channel_id, user_id, sent_at'],
    ] as const) {
      const bump = (row: string) =>
        `insert into cache_versions (scope, version) values ('${table === 'report_reads' ? 'cr' : 'ca'}:' || ${row}.channel_id, 1) on conflict (scope) do update set version = cache_versions.version + 1;`;
      await sql.raw(`drop trigger cache_${table}_update`).execute(db);
      await sql
        .raw(
          `create trigger cache_${table}_update after update of ${columns} on ${table} begin ${bump('old')} ${bump('new')} end`,
        )
        .execute(db);
    }
  }

  // Rows stored before this migration: links by window functions (through a temporary table
  // joined by id, which SQLite updates in row order), then the cells and recipients from them.
  await sql
    .raw(
      `create temporary table read_links as select id, ${READ_CHAINS.map(
        ({ suffix, partition }) =>
          `lag(read_at) over (partition by ${partition} order by read_at, id) as prev_${suffix}, ` +
          `lead(read_at) over (partition by ${partition} order by read_at, id) as next_${suffix}`,
      ).join(', ')} from report_reads`,
    )
    .execute(db);
  await sql`create index read_links_id_idx on read_links (id)`.execute(db);
  await sql
    .raw(
      `update report_reads set ${READ_CHAINS.map(
        ({ suffix }) => `prev_${suffix}_at = l.prev_${suffix}, next_${suffix}_at = l.next_${suffix}`,
      ).join(', ')} from read_links l where l.id = report_reads.id`,
    )
    .execute(db);
  await sql`drop table read_links`.execute(db);
  for (const { kind, suffix } of READ_CHAINS) {
    const prevDay = `coalesce(prev_${suffix}_at / ${DAY_MS}, ${NO_DAY})`;
    await sql
      .raw(
        `insert into report_read_days (channel_id, kind, day, prev_day, n) select channel_id, ${kind}, read_at / ${DAY_MS}, ${prevDay}, count(*) from report_reads group by channel_id, read_at / ${DAY_MS}, ${prevDay}`,
      )
      .execute(db);
  }

  await sql`create temporary table delivery_links as select d.id,
      lag(d.sent_at) over (partition by d.alert_id, d.user_id order by d.sent_at, d.id) as prev_alert,
      lag(d.sent_at) over (partition by d.report_id, d.user_id order by d.sent_at, d.id) as prev_report,
      case when exists (select 1 from alert_opens o where o.alert_id = d.alert_id and o.user_id = d.user_id) then 1 else 0 end as opened
    from alert_deliveries d`.execute(db);
  await sql`create index delivery_links_id_idx on delivery_links (id)`.execute(db);
  await sql`update alert_deliveries set prev_alert_at = l.prev_alert, prev_report_at = l.prev_report, opened = l.opened
    from delivery_links l where l.id = alert_deliveries.id`.execute(db);
  await sql`drop table delivery_links`.execute(db);
  await sql`insert into alert_recipients (channel_id, user_id) select distinct channel_id, user_id from alert_deliveries`.execute(
    db,
  );

  // A user's window of deliveries in one index range, with everything it counts.
  await db.schema
    .createIndex('alert_deliveries_channel_user_time_idx')
    .on('alert_deliveries')
    .columns(['channel_id', 'user_id', 'sent_at', 'prev_alert_at', 'prev_report_at', 'opened'])
    .execute();
  // Chains: the deliveries of one alert, or one report, to one user, in time order.
  await db.schema.dropIndex('alert_deliveries_alert_idx').execute();
  await db.schema
    .createIndex('alert_deliveries_alert_user_idx')
    .on('alert_deliveries')
    .columns(['alert_id', 'user_id', 'sent_at'])
    .execute();
  await db.schema
    .createIndex('alert_deliveries_report_user_idx')
    .on('alert_deliveries')
    .columns(['report_id', 'user_id', 'sent_at'])
    .execute();
}
