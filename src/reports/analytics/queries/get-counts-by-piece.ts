import { sql, type Kysely } from 'kysely';
import { sumOverLevelRanges } from '../../../db/dialect.js';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { TOTAL_LEVELS } from '../../counts/levels.js';
import { decompose, rangeColumns, unionOf } from '../../counts/ranges.js';

const pieceCountsQuery = preparedQuery(
  (
    db,
    s: { arms: number },
    v: { channelId: number; pieces: number[]; levels: number[]; froms: number[]; tos: number[] },
  ) => {
    const arm = (i: number) =>
      db
        .selectFrom('report_counts')
        .select([sql<number>`cast(${v.pieces[i]!} as bigint)`.as('i'), 'total as n'])
        .where('channel_id', '=', v.channelId)
        .where('level', '=', v.levels[i]!)
        .where('bucket', '>=', v.froms[i]!)
        .where('bucket', '<', v.tos[i]!);
    return db
      .selectFrom(unionOf(s.arms, arm).as('r'))
      .select(['i', (eb) => eb.fn.sum<number>('n').as('n')])
      .groupBy('i');
  },
);

/**
 * Report counts of consecutive pieces of whole buckets ([from, to) in quarter hours each), one
 * total per piece index. A piece is read at the coarsest levels that fit it, UTC days included:
 * a local week is six UTC day rows and the hours around them instead of 168 hour rows.
 */
export async function getCountsByPiece(
  db: Kysely<Database>,
  channelId: number,
  pieces: readonly { from: number; to: number }[],
): Promise<Map<number, number>> {
  const arms = pieces.flatMap((piece, index) =>
    decompose(piece.from, piece.to, TOTAL_LEVELS).map((range) => ({ index, ...range })),
  );
  return sumOverLevelRanges(db, { table: 'report_counts', owner: 'channel_id', ownerId: channelId }, arms, (chunk) =>
    pieceCountsQuery(
      db,
      { arms: chunk.length },
      { channelId, pieces: chunk.map((a) => a.index), ...rangeColumns(chunk) },
    ),
  );
}
