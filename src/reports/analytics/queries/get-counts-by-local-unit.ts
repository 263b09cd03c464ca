import { sql, type Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { BUCKET_MS, LEVEL_SIZES, LOCAL_UNIT_LEVELS } from '../../counts/levels.js';
import { decompose, rangeColumns, unionOf } from '../../counts/ranges.js';

export type LocalUnit = 'hourOfDay' | 'dow' | 'hour' | 'day';

/** One fixed UTC offset (a segment of the request's time zone) over whole buckets [from, to). */
export interface OffsetRange {
  offsetMs: number;
  from: number;
  to: number;
}

const localUnitCountsQuery = preparedQuery(
  (
    db,
    s: { unit: LocalUnit; levels: string },
    v: { channelId: number; offsets: number[]; levels: number[]; froms: number[]; tos: number[] },
  ) => {
    const arm = (i: number, level: number) => {
      // Bound numbers are REAL on SQLite (better-sqlite3): cast, so the divisions below stay integer.
      const offset = sql<number>`cast(${v.offsets[i]} as bigint)`;
      const local = sql`(bucket * ${sql.lit(BUCKET_MS * LEVEL_SIZES[level]!)} + ${offset})`;
      const key =
        s.unit === 'hourOfDay'
          ? sql<number>`(${local} / 3600000) % 24`
          : s.unit === 'dow'
            ? sql<number>`((${local} / 86400000) + 4) % 7`
            : s.unit === 'hour'
              ? sql<number>`${local} / 3600000`
              : sql<number>`${local} / 86400000`;
      return db
        .selectFrom('report_counts')
        .select([offset.as('o'), key.as('k'), 'total as n'])
        .where('channel_id', '=', v.channelId)
        .where('level', '=', v.levels[i]!)
        .where('bucket', '>=', v.froms[i]!)
        .where('bucket', '<', v.tos[i]!);
    };
    const levels = s.levels.split(',').map(Number);
    return db
      .selectFrom(unionOf(levels.length, (i) => arm(i, levels[i]!)).as('r'))
      .select(['o', 'k', (eb) => eb.fn.sum<number>('n').as('n')])
      .groupBy(['o', 'k']);
  },
);

/**
 * Counts of whole buckets grouped by a local-time unit, per fixed offset: `local = bucket start +
 * offset`. One statement for all the offsets of a window, each range covered by its coarsest levels.
 */
export async function getCountsByLocalUnit(
  db: Kysely<Database>,
  channelId: number,
  ranges: readonly OffsetRange[],
  unit: LocalUnit,
): Promise<{ offsetMs: number; k: number; n: number }[]> {
  const arms: { offsetMs: number; level: number; from: number; to: number }[] = [];
  for (const { offsetMs, from, to } of ranges) {
    // Hour buckets are whole local hours only when the offset is: +05:30 and +05:45 use quarter hours.
    for (const range of decompose(from, to, offsetMs % 3_600_000 === 0 ? LOCAL_UNIT_LEVELS : [0]))
      arms.push({ offsetMs, ...range });
  }
  if (arms.length === 0) return [];
  const rows = await localUnitCountsQuery(
    db,
    { unit, levels: arms.map((a) => a.level).join(',') },
    { channelId, offsets: arms.map((a) => a.offsetMs), ...rangeColumns(arms) },
  );
  return rows.map((r) => ({ offsetMs: Number(r.o), k: Number(r.k), n: Number(r.n) }));
}
