import type { Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { rangeValues, unionOf, type TimeRanges } from '../../counts/ranges.js';

const reportsBetweenQuery = preparedQuery(
  (db, s: { arms: number }, v: { channelId: number; froms: number[]; tos: number[] }) =>
    unionOf(s.arms, (i) =>
      db
        .selectFrom('reports')
        .select(['created_at', 'state_id', 'user_id'])
        .where('channel_id', '=', v.channelId)
        .where('created_at', '>=', v.froms[i]!)
        .where('created_at', '<', v.tos[i]!),
    ),
);

/** Raw reports of time ranges (the partial quarter hours or hours at a window's edges). */
export async function getReportsBetween(db: Kysely<Database>, channelId: number, ranges: TimeRanges) {
  const r = rangeValues(ranges);
  return r ? reportsBetweenQuery(db, r.shape, { channelId, froms: r.froms, tos: r.tos }) : [];
}
