import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { mergeOrderedArms, type SortDirection } from '../db/dialect.js';
import { preparedQuery, type QueryShape } from '../db/prepared.js';
import type { Database, NewRecording, RecordingRow } from '../db/schema.js';

/** Every query on recordings and their per-room counters. */

export type Direction = SortDirection;

export const SECONDS_PER_DAY = 86_400;
/** Width of a recording_room_spans row, in days. */
export const DAYS_PER_SPAN = 32;

/** Total recordings per room (rooms without any are absent). */
const roomTotalsQuery = preparedQuery((db, _shape: QueryShape, v: { accountId: number; roomIds: readonly string[] }) =>
  db
    .selectFrom('recording_room_totals')
    .select(['room_id', 'total'])
    .where('account_id', '=', v.accountId)
    .where('room_id', 'in', v.roomIds)
    .where('total', '>', 0),
);

export async function roomTotals(
  db: Kysely<Database>,
  accountId: number,
  roomIds: readonly string[],
): Promise<Map<string, number>> {
  const rows = await roomTotalsQuery(db, {}, { accountId, roomIds });
  return new Map(rows.map((r) => [r.room_id, r.total]));
}

export interface CountedPeriod {
  /** A span (32 days) or a day number, depending on the query. */
  period: number;
  total: number;
}

/**
 * The days of the 32-day span that holds list position `position` over the given rooms: that
 * span's recordings per UTC day in list order, each row with how many recordings come before the
 * span (`skipped`). One statement: the spans are counted, placed by a running sum, and the last
 * one starting at or before the position is joined to its days. A position past the end falls in
 * the last span. At most 32 rows.
 */
const daysAtPositionQuery = preparedQuery(
  (db, shape: { direction: Direction }, v: { accountId: number; roomIds: readonly string[]; position: number }) =>
    db
      .with('spans', (qb) =>
        qb
          .selectFrom('recording_room_spans')
          .select(['span', (eb) => eb.fn.sum<number>('total').as('total')])
          .where('account_id', '=', v.accountId)
          .where('room_id', 'in', v.roomIds)
          .groupBy('span')
          .having((eb) => eb.fn.sum('total'), '>', 0),
      )
      .with('chosen', (qb) =>
        qb
          .selectFrom(
            qb
              .selectFrom('spans')
              .select([
                'span',
                sql<number>`sum(total) over (order by span ${sql.raw(shape.direction)}) - total`.as('skipped'),
              ])
              .as('placed'),
          )
          .select(['span', 'skipped'])
          .where('skipped', '<=', v.position)
          // The last of those in list order (`skipped` grows along the list).
          .orderBy('span', shape.direction === 'asc' ? 'desc' : 'asc')
          .limit(1),
      )
      .selectFrom('chosen')
      .innerJoin('recording_room_days as d', (join) =>
        join
          .onRef('d.day', '>=', sql<number>`chosen.span * ${sql.lit(DAYS_PER_SPAN)}`)
          .onRef('d.day', '<', sql<number>`(chosen.span + 1) * ${sql.lit(DAYS_PER_SPAN)}`),
      )
      .select(['d.day as period', (eb) => eb.fn.sum<number>('d.total').as('total'), 'chosen.skipped as skipped'])
      .where('d.account_id', '=', v.accountId)
      .where('d.room_id', 'in', v.roomIds)
      .groupBy(['d.day', 'chosen.skipped'])
      .orderBy('d.day', shape.direction),
);

export interface PositionDays {
  /** Recordings before the span holding the position. */
  skipped: number;
  /** That span's recordings per UTC day, in list order. */
  days: CountedPeriod[];
}

export async function daysAtPosition(
  db: Kysely<Database>,
  accountId: number,
  roomIds: readonly string[],
  direction: Direction,
  position: number,
): Promise<PositionDays> {
  const rows = await daysAtPositionQuery(db, { direction }, { accountId, roomIds, position });
  return {
    skipped: Number(rows[0]?.skipped ?? 0),
    days: rows.map((r) => ({ period: Number(r.period), total: Number(r.total) })),
  };
}

/** The columns a list shows. */
const LISTED = [
  'record_id',
  'room_id',
  'room_sid',
  'file_path',
  'file_size',
  'creation_time',
  'room_creation_time',
  'metadata',
] as const;
export type ListedRecording = Pick<RecordingRow, (typeof LISTED)[number]>;

export interface PageQuery {
  accountId: number;
  roomIds: readonly string[];
  direction: Direction;
  offset: number;
  limit: number;
  /** Restricts to creation_time < before (DESC) or >= notBefore (ASC): the start of a deep page. */
  before?: number | undefined;
  notBefore?: number | undefined;
}

/**
 * One page in (creation_time, record_id) order over several rooms, merged by the engine (see
 * mergeOrderedArms). Only the sort keys are read for the skipped rows (covering index); full rows
 * are joined for the page.
 */
const pageByRoomsQuery = preparedQuery(
  (db, shape: { direction: Direction; limit: number }, v: Omit<PageQuery, 'direction' | 'limit'>) => {
    const arm = (roomId: string) => {
      let query = db
        .selectFrom('recordings')
        .select(['creation_time', 'record_id', 'id'])
        .where('account_id', '=', v.accountId)
        .where('room_id', '=', roomId);
      if (v.before !== undefined) query = query.where('creation_time', '<', v.before);
      if (v.notBefore !== undefined) query = query.where('creation_time', '>=', v.notBefore);
      return query;
    };
    const keys = mergeOrderedArms(db, v.roomIds.map(arm), ['creation_time', 'record_id'], shape.direction, {
      offset: v.offset,
      limit: shape.limit,
    });
    return db
      .selectFrom(keys.as('page'))
      .innerJoin('recordings', 'recordings.id', 'page.id')
      .select(LISTED.map((column) => `recordings.${column}` as const))
      .orderBy('page.creation_time', shape.direction)
      .orderBy('page.record_id', shape.direction);
  },
);

export async function pageByRooms(db: Kysely<Database>, q: PageQuery): Promise<ListedRecording[]> {
  if (q.roomIds.length === 0) return [];
  const { direction, limit, ...values } = q;
  return pageByRoomsQuery(db, { direction, limit }, values);
}

type SessionValues = { accountId: number; roomSid: string; roomIds?: readonly string[] | undefined };

/** A session's recordings (few), optionally within some rooms. */
function sessionQuery(db: Kysely<Database>, v: SessionValues) {
  let query: SelectQueryBuilder<Database, 'recordings', object> = db
    .selectFrom('recordings')
    .where('account_id', '=', v.accountId)
    .where('room_sid', '=', v.roomSid);
  if (v.roomIds) query = query.where('room_id', 'in', v.roomIds);
  return query;
}

const countBySessionQuery = preparedQuery((db, _shape: QueryShape, v: SessionValues) =>
  sessionQuery(db, v).select((eb) => eb.fn.countAll<number>().as('n')),
);

export async function countBySession(
  db: Kysely<Database>,
  accountId: number,
  roomSid: string,
  roomIds?: readonly string[],
): Promise<number> {
  const [row] = await countBySessionQuery(db, {}, { accountId, roomSid, roomIds });
  return Number(row?.n ?? 0);
}

const pageBySessionQuery = preparedQuery(
  (db, shape: { direction: Direction }, v: SessionValues & { offset: number; limit: number }) =>
    sessionQuery(db, v)
      .select([...LISTED])
      .orderBy('creation_time', shape.direction)
      .orderBy('record_id', shape.direction)
      .limit(v.limit)
      .offset(v.offset),
);

export function pageBySession(
  db: Kysely<Database>,
  q: {
    accountId: number;
    roomSid: string;
    roomIds?: readonly string[] | undefined;
    direction: Direction;
    offset: number;
    limit: number;
  },
): Promise<ListedRecording[]> {
  const { direction, ...values } = q;
  return pageBySessionQuery(db, { direction }, values);
}

export async function findRecording(
  db: Kysely<Database>,
  accountId: number,
  recordId: string,
): Promise<RecordingRow | undefined> {
  return db
    .selectFrom('recordings')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('record_id', '=', recordId)
    .executeTakeFirst();
}

export async function findRecordingById(
  db: Kysely<Database>,
  accountId: number,
  id: number,
): Promise<RecordingRow | undefined> {
  return db
    .selectFrom('recordings')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

/** The recording whose file is at `filePath` in the account's directory (a path has one owner). */
export async function findRecordingByPath(
  db: Kysely<Database>,
  accountId: number,
  filePath: string,
): Promise<RecordingRow | undefined> {
  return db
    .selectFrom('recordings')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('file_path', '=', filePath)
    .executeTakeFirst();
}

async function bumpCounters(
  trx: Kysely<Database>,
  row: Pick<RecordingRow, 'account_id' | 'room_id' | 'creation_time' | 'file_size'>,
  delta: 1 | -1,
) {
  const bytes = delta * row.file_size;
  await trx
    .insertInto('recording_room_totals')
    .values({ account_id: row.account_id, room_id: row.room_id, total: delta, total_size: bytes })
    .onConflict((oc) =>
      oc.columns(['account_id', 'room_id']).doUpdateSet({
        total: sql`recording_room_totals.total + ${delta}`,
        total_size: sql`recording_room_totals.total_size + ${bytes}`,
      }),
    )
    .execute();
  await trx
    .insertInto('recording_room_days')
    .values({
      account_id: row.account_id,
      room_id: row.room_id,
      day: Math.floor(row.creation_time / SECONDS_PER_DAY),
      total: delta,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'room_id', 'day']).doUpdateSet({ total: sql`recording_room_days.total + ${delta}` }),
    )
    .execute();
  await trx
    .insertInto('recording_room_spans')
    .values({
      account_id: row.account_id,
      room_id: row.room_id,
      span: Math.floor(row.creation_time / SECONDS_PER_DAY / DAYS_PER_SPAN),
      total: delta,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'room_id', 'span']).doUpdateSet({ total: sql`recording_room_spans.total + ${delta}` }),
    )
    .execute();
}

/** Inserts a recording and counts it (in the caller's transaction). */
export async function insertRecording(trx: Kysely<Database>, recording: NewRecording): Promise<RecordingRow> {
  const row = await trx.insertInto('recordings').values(recording).returningAll().executeTakeFirstOrThrow();
  await bumpCounters(trx, row, 1);
  return row;
}

/** Deletes a recording and uncounts it (in the caller's transaction). Returns the deleted row. */
export async function deleteRecording(
  trx: Kysely<Database>,
  accountId: number,
  recordId: string,
): Promise<RecordingRow | undefined> {
  const row = await trx
    .deleteFrom('recordings')
    .where('account_id', '=', accountId)
    .where('record_id', '=', recordId)
    .returningAll()
    .executeTakeFirst();
  if (row) await bumpCounters(trx, row, -1);
  return row;
}

export async function updateMetadata(db: Kysely<Database>, id: number, metadata: string): Promise<void> {
  await db.updateTable('recordings').set({ metadata }).where('id', '=', id).execute();
}

/** Instance-wide recording figures, from the per-room counters (never from the recordings table). */
export async function recordingTotals(
  db: Kysely<Database>,
): Promise<{ recordings: number; bytes: number; rooms: number }> {
  const row = await db
    .selectFrom('recording_room_totals')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('total'), sql<number>`0`).as('recordings'),
      eb.fn.coalesce(eb.fn.sum<number>('total_size'), sql<number>`0`).as('bytes'),
      eb.fn.countAll<number>().as('rooms'),
    ])
    .where('total', '>', 0)
    .executeTakeFirstOrThrow();
  return { recordings: Number(row.recordings), bytes: Number(row.bytes), rooms: Number(row.rooms) };
}

function roomsWithRecordings(db: Kysely<Database>, accountId: number) {
  return db.selectFrom('recording_room_totals').where('account_id', '=', accountId).where('total', '>', 0);
}

export async function countRecordingRooms(db: Kysely<Database>, accountId: number): Promise<number> {
  const row = await roomsWithRecordings(db, accountId)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A page of an account's rooms by room id, with counts and the newest recording (one index probe per room). */
export async function pageRecordingRooms(db: Kysely<Database>, accountId: number, offset: number, limit: number) {
  return roomsWithRecordings(db, accountId)
    .select((eb) => [
      'room_id',
      'total',
      'total_size',
      eb
        .selectFrom('recordings')
        .select('creation_time')
        .whereRef('recordings.account_id', '=', 'recording_room_totals.account_id')
        .whereRef('recordings.room_id', '=', 'recording_room_totals.room_id')
        .orderBy('creation_time', 'desc')
        .limit(1)
        .as('newest'),
    ])
    .orderBy('room_id')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** A page of every account's recordings by id (backups list the files rows own). */
export async function recordingFilesPage(db: Kysely<Database>, afterId: number, limit: number) {
  return db
    .selectFrom('recordings')
    .select(['id', 'account_id', 'record_id', 'file_path', 'metadata'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}
