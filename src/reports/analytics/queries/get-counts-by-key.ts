import { sql, type Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { KEYED_LEVELS } from '../../counts/levels.js';
import { decompose, rangeColumns, unionOf } from '../../counts/ranges.js';

const KEYED_COUNTS = {
  state: { table: 'report_state_counts', owner: 'channel_id', key: 'state_id' },
  user: { table: 'report_user_counts', owner: 'channel_id', key: 'user_id' },
  option: { table: 'report_option_counts', owner: 'field_id', key: 'option_id' },
} as const;

const keyedCountsQuery = preparedQuery(
  (
    db,
    s: { by: keyof typeof KEYED_COUNTS; arms: number },
    v: { owner: number; levels: number[]; froms: number[]; tos: number[] },
  ) => {
    const { table, owner, key } = KEYED_COUNTS[s.by];
    // The three tables differ only in their key columns' names.
    const arm = (i: number) =>
      db
        .selectFrom(table as 'report_state_counts')
        .select([sql<number>`${sql.ref(key)}`.as('k'), 'total as n'])
        .where(db.dynamic.ref<'channel_id'>(owner), '=', v.owner)
        .where('level', '=', v.levels[i]!)
        .where('bucket', '>=', v.froms[i]!)
        .where('bucket', '<', v.tos[i]!);
    return db
      .selectFrom(unionOf(s.arms, arm).as('r'))
      .select(['k', (eb) => eb.fn.sum<number>('n').as('n')])
      .groupBy('k');
  },
);

/**
 * Counts of whole hours per state, per user or per option of a field over ranges of buckets
 * ([from, to) in quarter hours, whole hours each): one statement.
 */
export async function getCountsByKey(
  db: Kysely<Database>,
  by: 'state' | 'user' | 'option',
  ownerId: number,
  bucketRanges: readonly (readonly [number, number])[],
): Promise<{ k: number; n: number }[]> {
  const ranges = bucketRanges.flatMap(([from, to]) => decompose(from, to, KEYED_LEVELS));
  if (ranges.length === 0) return [];
  const rows = await keyedCountsQuery(db, { by, arms: ranges.length }, { owner: ownerId, ...rangeColumns(ranges) });
  return rows.map((r) => ({ k: Number(r.k), n: Number(r.n) }));
}
