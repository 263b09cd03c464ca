import type { Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { rangeValues, unionOf, type TimeRanges } from '../../counts/ranges.js';

const optionIdsBetweenQuery = preparedQuery(
  (db, s: { arms: number }, v: { channelId: number; formId: number; froms: number[]; tos: number[] }) =>
    unionOf(s.arms, (i) =>
      db
        .selectFrom('reports')
        .select(['created_at', 'option_ids'])
        .where('channel_id', '=', v.channelId)
        .where('created_at', '>=', v.froms[i]!)
        .where('created_at', '<', v.tos[i]!)
        .where('form_id', '=', v.formId)
        .where('option_ids', 'is not', null),
    ),
);

/** Selected option ids (JSON arrays) of a form's reports in time ranges (a window's edges). */
export async function getOptionIdsBetween(db: Kysely<Database>, channelId: number, formId: number, ranges: TimeRanges) {
  const r = rangeValues(ranges);
  return r ? optionIdsBetweenQuery(db, r.shape, { channelId, formId, froms: r.froms, tos: r.tos }) : [];
}
