import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { DAY_MS, NO_DAY, READ_KINDS } from './read-chains.js';

/**
 * Recomputes every chain link, day cell and recipient from the raw reads, deliveries and opens
 * (after a bulk load; and the recount the tests compare the kept structures with). Links come from
 * window functions through a temporary table joined by id, which SQLite updates in row order.
 */
export async function rebuildDistinctCounts(trx: Kysely<Database>): Promise<void> {
  const kinds = Object.values(READ_KINDS);
  const partition = (key: readonly string[]) => key.join(', ');
  const linkOf = (column: string) => column.replace(/_at$/, '');
  await sql
    .raw(
      `create temporary table read_links as select id, ${kinds
        .map(
          (k) =>
            `lag(read_at) over (partition by ${partition(k.key)} order by read_at, id) as ${linkOf(k.prev)}, ` +
            `lead(read_at) over (partition by ${partition(k.key)} order by read_at, id) as ${linkOf(k.next)}`,
        )
        .join(', ')} from report_reads`,
    )
    .execute(trx);
  await sql`create index read_links_id_idx on read_links (id)`.execute(trx);
  await sql
    .raw(
      `update report_reads set ${kinds
        .flatMap((k) => [k.prev, k.next])
        .map((column) => `${column} = l.${linkOf(column)}`)
        .join(', ')} from read_links l where l.id = report_reads.id`,
    )
    .execute(trx);
  await sql`drop table read_links`.execute(trx);
  await trx.deleteFrom('report_read_days').execute();
  for (const kind of kinds) {
    const prevDay = `coalesce(${kind.prev} / ${DAY_MS}, ${NO_DAY})`;
    await sql
      .raw(
        `insert into report_read_days (channel_id, kind, day, prev_day, n) select channel_id, ${kind.kind}, read_at / ${DAY_MS}, ${prevDay}, count(*) from report_reads group by channel_id, read_at / ${DAY_MS}, ${prevDay}`,
      )
      .execute(trx);
  }

  await sql`create temporary table delivery_links as select d.id,
      lag(d.sent_at) over (partition by d.alert_id, d.user_id order by d.sent_at, d.id) as prev_alert,
      lag(d.sent_at) over (partition by d.report_id, d.user_id order by d.sent_at, d.id) as prev_report,
      case when exists (select 1 from alert_opens o where o.alert_id = d.alert_id and o.user_id = d.user_id) then 1 else 0 end as opened
    from alert_deliveries d`.execute(trx);
  await sql`create index delivery_links_id_idx on delivery_links (id)`.execute(trx);
  await sql`update alert_deliveries set prev_alert_at = l.prev_alert, prev_report_at = l.prev_report, opened = l.opened
    from delivery_links l where l.id = alert_deliveries.id`.execute(trx);
  await sql`drop table delivery_links`.execute(trx);
}
