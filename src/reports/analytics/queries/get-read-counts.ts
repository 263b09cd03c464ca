import type { Kysely } from 'kysely';
import { preparedQuery } from '../../../db/prepared.js';
import type { Database } from '../../../db/schema.js';
import { DAY_MS, READ_KINDS, type ReadKind } from '../../distinct/read-chains.js';
import type { ReadField } from '../schemas.js';

/** The key each distinct count is over; total_reads reads any kind's cells (every read is in each). */
const KIND_OF: Record<ReadField, ReadKind> = {
  total_reads: READ_KINDS.report,
  reports_seen: READ_KINDS.report,
  report_readers: READ_KINDS.user,
  unique_reads: READ_KINDS.pair,
};

const KIND_BY_NUMBER = new Map<number, ReadKind>(Object.values(READ_KINDS).map((k) => [k.kind, k]));

/** Sums of the day cells of [firstDay, endDay) per kind, and of those whose previous day is before it. */
const cellsQuery = preparedQuery(
  (db, _s: Record<string, never>, v: { channelId: number; kinds: number[]; firstDay: number; endDay: number }) =>
    db
      .selectFrom('report_read_days')
      .select((eb) => [
        'kind',
        eb.fn.sum<number>('n').as('total'),
        eb.fn.sum<number>(eb.case().when('prev_day', '<', v.firstDay).then(eb.ref('n')).else(0).end()).as('first'),
      ])
      .where('channel_id', '=', v.channelId)
      .where('kind', 'in', v.kinds)
      .where('day', '>=', v.firstDay)
      .where('day', '<', v.endDay)
      .groupBy('kind'),
);

/** Raw reads of [rangeFrom, rangeTo): all, first of their key in the window, and carried into the whole days. */
const edgeQuery = preparedQuery(
  (
    db,
    s: { kinds: string },
    v: { channelId: number; from: number; wholeFrom: number; wholeTo: number; rangeFrom: number; rangeTo: number },
  ) =>
    db
      .selectFrom('report_reads')
      .select((eb) => {
        const count = (condition: ReturnType<typeof eb.and>) => eb.fn.countAll<number>().filterWhere(condition);
        return [
          eb.fn.countAll<number>().as('total'),
          ...s.kinds
            .split(',')
            .map((kind) => KIND_BY_NUMBER.get(Number(kind))!)
            .flatMap((k) => [
              count(eb.or([eb(k.prev, 'is', null), eb(k.prev, '<', v.from)])).as(`first_${k.kind}`),
              // Reads of the partial first day whose next read is in the whole days (counted there).
              count(
                eb.and([eb('read_at', '<', v.wholeFrom), eb(k.next, '>=', v.wholeFrom), eb(k.next, '<', v.wholeTo)]),
              ).as(`carried_${k.kind}`),
            ]),
        ];
      })
      .where('channel_id', '=', v.channelId)
      .where('read_at', '>=', v.rangeFrom)
      .where('read_at', '<', v.rangeTo),
);

/**
 * Reads made in [from, to) of a channel's reports, exact. A key is counted once per window by its
 * first read in it: the read whose previous read of the key is before `from` (read-chains.ts).
 * - Whole UTC days [firstDay, endDay): the day cells whose previous day is before firstDay.
 *   Those include reads whose previous read falls in [from, firstDay) (the partial first day):
 *   each is the next read of such a read, so they are taken off by the `next_*` of that day's reads.
 * - The partial days at the edges (or all of a window without a whole day): raw reads, by the
 *   channel's time index, with their own previous times.
 */
export async function getReadCounts(
  db: Kysely<Database>,
  channelId: number,
  from: number,
  to: number,
  fields: readonly ReadField[],
): Promise<Partial<Record<ReadField, number>>> {
  const endDay = Math.floor(to / DAY_MS);
  const firstDay = Math.min(Math.ceil(from / DAY_MS), endDay);
  const [wholeFrom, wholeTo] = [firstDay * DAY_MS, endDay * DAY_MS];
  const kinds = [...new Set(fields.map((f) => KIND_OF[f]))];
  const kindNumbers = kinds.map((k) => k.kind);

  // One query per edge (an OR of two ranges led SQLite to scan the channel's reads by user), all
  // three at once: on PostgreSQL each is a round trip.
  const ranges: [number, number][] =
    firstDay < endDay
      ? [
          [from, wholeFrom],
          [wholeTo, to],
        ]
      : [[from, to]];
  const [cells, ...edges] = await Promise.all([
    firstDay < endDay ? cellsQuery(db, {}, { channelId, kinds: kindNumbers, firstDay, endDay }) : [],
    ...ranges
      .filter(([rangeFrom, rangeTo]) => rangeFrom < rangeTo)
      .map(([rangeFrom, rangeTo]) =>
        edgeQuery(db, { kinds: kindNumbers.join(',') }, { channelId, from, wholeFrom, wholeTo, rangeFrom, rangeTo }),
      ),
  ]);
  const edge: Record<string, number> = {};
  for (const [row] of edges)
    for (const [name, value] of Object.entries(row ?? {})) edge[name] = (edge[name] ?? 0) + Number(value ?? 0);

  const out: Partial<Record<ReadField, number>> = {};
  for (const field of fields) {
    const kind = KIND_OF[field];
    const cell = cells.find((c) => Number(c.kind) === kind.kind);
    out[field] =
      field === 'total_reads'
        ? Number(cell?.total ?? 0) + Number(edge.total ?? 0)
        : Number(cell?.first ?? 0) +
          Number(edge[`first_${kind.kind}`] ?? 0) -
          Number(edge[`carried_${kind.kind}`] ?? 0);
  }
  return out;
}
