import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull } from '../dialect.js';

/**
 * Running totals per channel (reports, reads, alerts, images and their bytes), kept in the same
 * transaction as each write, so server statistics read one small row per channel instead of
 * counting millions of rows. Per channel rather than one row per account: concurrent writers to
 * different channels never wait on each other's counter row. Filled from the existing rows.
 */
export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  const zero = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0);
  await db.schema
    .createTable('report_channel_totals')
    .addColumn('channel_id', 'bigint', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('reports', 'bigint', zero)
    .addColumn('reads', 'bigint', zero)
    .addColumn('alerts', 'bigint', zero)
    .addColumn('images', 'bigint', zero)
    .addColumn('image_bytes', 'bigint', zero)
    .execute();
  await sql`insert into report_channel_totals (channel_id, account_id) select id, account_id from channels`.execute(db);
  const fills: [string, string, string][] = [
    ['reports', 'reports', 'count(*)'],
    ['reads', 'report_reads', 'count(*)'],
    ['alerts', 'alerts', 'count(*)'],
    ['images', 'report_images', 'count(*)'],
    ['image_bytes', 'report_images', 'sum(bytes)'],
  ];
  for (const [column, source, aggregate] of fills) {
    await sql
      .raw(
        `update report_channel_totals set ${column} = s.n from (select channel_id, ${aggregate} as n from ${source} group by channel_id) as s where s.channel_id = report_channel_totals.channel_id`,
      )
      .execute(db);
  }
}
