import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.js';

/** Images of a channel's reports created in [from, to), by report time then id: one index range. */
export async function getImagesBetween(
  db: Kysely<Database>,
  channelId: number,
  from: number,
  to: number,
  offset: number,
  limit: number,
) {
  return db
    .selectFrom('report_images')
    .select(['id', 'account_id', 'report_id', 'created_at'])
    .where('channel_id', '=', channelId)
    .where('report_created_at', '>=', from)
    .where('report_created_at', '<', to)
    .orderBy('report_created_at')
    .orderBy('id')
    .limit(limit)
    .offset(offset)
    .execute();
}
