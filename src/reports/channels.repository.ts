import { sql, type Kysely } from 'kysely';
import { nameOrder } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { LEVEL } from './counts/levels.js';
import type { NamedRow } from './repository.js';

/** The channel list of the console: an account's channels by name, and their recent report counts; the newest reports. */

function channelsOf(db: Kysely<Database>, accountId: number, search: string | undefined) {
  let query = db.selectFrom('channels').where('account_id', '=', accountId);
  // `like` with the wildcards of the search text escaped: a search for "50%" means those characters.
  if (search)
    query = query.where(
      sql`lower(name)`,
      'like',
      sql`${`%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`,
    );
  return query;
}

export async function countChannels(db: Kysely<Database>, accountId: number, search?: string): Promise<number> {
  const row = await channelsOf(db, accountId, search)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function pageChannels(
  db: Kysely<Database>,
  q: { accountId: number; search?: string | undefined; offset: number; limit: number },
): Promise<NamedRow[]> {
  return channelsOf(db, q.accountId, q.search)
    .selectAll()
    .orderBy(nameOrder(db, 'name'))
    .orderBy('id')
    .limit(q.limit)
    .offset(q.offset)
    .execute();
}

/** Reports per channel over whole UTC days [firstDay, lastDay], from the per-day counts. */
export async function reportsOnDays(
  db: Kysely<Database>,
  channelIds: readonly number[],
  firstDay: number,
  lastDay: number,
): Promise<Map<number, number>> {
  if (channelIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('report_counts')
    .select(['channel_id', (eb) => eb.fn.sum<number>('total').as('n')])
    .where('level', '=', LEVEL.day)
    .where('channel_id', 'in', channelIds)
    .where('bucket', '>=', firstDay)
    .where('bucket', '<=', lastDay)
    .groupBy('channel_id')
    .execute();
  return new Map(rows.map((r) => [r.channel_id, Number(r.n)]));
}

/** An account's newest reports (the demo's state changes and images go to these). */
export async function newestReportIds(db: Kysely<Database>, accountId: number, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('reports')
    .select('id')
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** A page of every report image by id (backups list the files rows own). */
export async function imageFilesPage(db: Kysely<Database>, afterId: number, limit: number) {
  return db
    .selectFrom('report_images')
    .select(['id', 'path', 'format'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}
