import type { Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';

const imagesQuery = preparedQuery(
  (db, _s: Record<string, never>, v: { channelId: number; from: number; to: number; offset: number; limit: number }) =>
    db
      .selectFrom('report_images')
      .select(['id', 'account_id', 'report_id', 'created_at'])
      .where('channel_id', '=', v.channelId)
      .where('report_created_at', '>=', v.from)
      .where('report_created_at', '<', v.to)
      .orderBy('report_created_at')
      .orderBy('id')
      .limit(v.limit)
      .offset(v.offset),
);

/** Images of a channel's reports created in [from, to), by report time then id: one index range. */
export async function getImagesBetween(
  db: Kysely<Database>,
  channelId: number,
  from: number,
  to: number,
  offset: number,
  limit: number,
) {
  return imagesQuery(db, {}, { channelId, from, to, offset, limit });
}
