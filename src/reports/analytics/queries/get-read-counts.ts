import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.js';
import type { ReadField } from '../schemas.js';

/**
 * Reads made in [from, to) of a channel's reports: exact counts, only those asked. Each question
 * reads the index whose order answers it: time (total), (user, report) pairs, report.
 */
export async function getReadCounts(
  db: Kysely<Database>,
  channelId: number,
  from: number,
  to: number,
  fields: readonly ReadField[],
): Promise<Partial<Record<ReadField, number>>> {
  const inWindow = db
    .selectFrom('report_reads')
    .where('channel_id', '=', channelId)
    .where('read_at', '>=', from)
    .where('read_at', '<', to);
  const out: Partial<Record<ReadField, number>> = {};
  if (fields.includes('unique_reads') || fields.includes('report_readers')) {
    // Grouped in (user, report) order: one row per distinct pair, no sort.
    const pairs = inWindow
      .select(['user_id', (eb) => eb.fn.countAll<number>().as('c')])
      .groupBy(['user_id', 'report_id'])
      .as('pairs');
    const row = await db
      .selectFrom(pairs)
      .select((eb) => [
        eb.fn.countAll<number>().as('unique_reads'),
        eb.fn.sum<number>('c').as('total_reads'),
        eb.fn.count<number>('user_id').distinct().as('report_readers'),
      ])
      .executeTakeFirstOrThrow();
    out.unique_reads = Number(row.unique_reads);
    out.report_readers = Number(row.report_readers);
    out.total_reads = Number(row.total_reads ?? 0);
  } else if (fields.includes('total_reads')) {
    out.total_reads = Number(
      (await inWindow.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    );
  }
  if (fields.includes('reports_seen')) {
    const reports = inWindow.select('report_id').groupBy('report_id').as('seen');
    out.reports_seen = Number(
      (
        await db
          .selectFrom(reports)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  }
  return out;
}
