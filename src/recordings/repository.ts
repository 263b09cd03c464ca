import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Database, NewRecording, RecordingRow } from '../db/schema.js';

/** Every query on recordings and their per-room counters. */

export type Direction = 'asc' | 'desc';

export const SECONDS_PER_DAY = 86_400;

/** Total recordings per room (rooms without any are absent). */
export async function roomTotals(db: Kysely<Database>, accountId: number, roomIds: readonly string[]): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('recording_room_totals')
    .select(['room_id', 'total'])
    .where('account_id', '=', accountId)
    .where('room_id', 'in', roomIds)
    .where('total', '>', 0)
    .execute();
  return new Map(rows.map((r) => [r.room_id, r.total]));
}

/** Recordings per UTC day over the given rooms, in list order. */
export async function roomDays(db: Kysely<Database>, accountId: number, roomIds: readonly string[], direction: Direction) {
  return db
    .selectFrom('recording_room_days')
    .select(['day', (eb) => eb.fn.sum<number>('total').as('total')])
    .where('account_id', '=', accountId)
    .where('room_id', 'in', roomIds)
    .groupBy('day')
    .orderBy('day', direction)
    .execute();
}

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
 * One page in (creation_time, record_id) order over several rooms. Each room is read in index
 * order and the engine merges them lazily (SQLite: co-routine MERGE of the UNION ALL; PostgreSQL:
 * Merge Append), so the cost is proportional to offset + limit, never to the rooms' size. Only the
 * sort keys are read for the skipped rows (covering index); full rows are joined for the page.
 */
export async function pageByRooms(db: Kysely<Database>, q: PageQuery): Promise<RecordingRow[]> {
  const arm = (roomId: string) => {
    let query = db
      .selectFrom('recordings')
      .select(['creation_time', 'record_id', 'id'])
      .where('account_id', '=', q.accountId)
      .where('room_id', '=', roomId);
    if (q.before !== undefined) query = query.where('creation_time', '<', q.before);
    if (q.notBefore !== undefined) query = query.where('creation_time', '>=', q.notBefore);
    return query;
  };
  const [first, ...rest] = q.roomIds.map(arm);
  if (!first) return [];
  const keys = rest
    .reduce((compound, next) => compound.unionAll(next), first)
    .orderBy('creation_time', q.direction)
    .orderBy('record_id', q.direction)
    .limit(q.limit)
    .offset(q.offset);
  return db
    .selectFrom(keys.as('page'))
    .innerJoin('recordings', 'recordings.id', 'page.id')
    .selectAll('recordings')
    .orderBy('page.creation_time', q.direction)
    .orderBy('page.record_id', q.direction)
    .execute();
}

/** A session's recordings (few), optionally within some rooms, in list order. */
function sessionQuery(db: Kysely<Database>, accountId: number, roomSid: string, roomIds: readonly string[] | undefined) {
  let query: SelectQueryBuilder<Database, 'recordings', object> = db
    .selectFrom('recordings')
    .where('account_id', '=', accountId)
    .where('room_sid', '=', roomSid);
  if (roomIds) query = query.where('room_id', 'in', roomIds);
  return query;
}

export async function countBySession(db: Kysely<Database>, accountId: number, roomSid: string, roomIds?: readonly string[]): Promise<number> {
  const row = await sessionQuery(db, accountId, roomSid, roomIds).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function pageBySession(
  db: Kysely<Database>,
  q: { accountId: number; roomSid: string; roomIds?: readonly string[] | undefined; direction: Direction; offset: number; limit: number },
): Promise<RecordingRow[]> {
  return sessionQuery(db, q.accountId, q.roomSid, q.roomIds)
    .selectAll()
    .orderBy('creation_time', q.direction)
    .orderBy('record_id', q.direction)
    .limit(q.limit)
    .offset(q.offset)
    .execute();
}

export async function findRecording(db: Kysely<Database>, accountId: number, recordId: string): Promise<RecordingRow | undefined> {
  return db.selectFrom('recordings').selectAll().where('account_id', '=', accountId).where('record_id', '=', recordId).executeTakeFirst();
}

async function bumpCounters(trx: Kysely<Database>, row: Pick<RecordingRow, 'account_id' | 'room_id' | 'creation_time'>, delta: 1 | -1) {
  await trx
    .insertInto('recording_room_totals')
    .values({ account_id: row.account_id, room_id: row.room_id, total: delta })
    .onConflict((oc) => oc.columns(['account_id', 'room_id']).doUpdateSet({ total: sql`recording_room_totals.total + ${delta}` }))
    .execute();
  await trx
    .insertInto('recording_room_days')
    .values({ account_id: row.account_id, room_id: row.room_id, day: Math.floor(row.creation_time / SECONDS_PER_DAY), total: delta })
    .onConflict((oc) => oc.columns(['account_id', 'room_id', 'day']).doUpdateSet({ total: sql`recording_room_days.total + ${delta}` }))
    .execute();
}

/** Inserts a recording and counts it, in one transaction. */
export async function insertRecording(db: Kysely<Database>, recording: NewRecording): Promise<RecordingRow> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.insertInto('recordings').values(recording).returningAll().executeTakeFirstOrThrow();
    await bumpCounters(trx, row, 1);
    return row;
  });
}

/** Deletes a recording and uncounts it, in one transaction. Returns the deleted row. */
export async function deleteRecording(db: Kysely<Database>, accountId: number, recordId: string): Promise<RecordingRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .deleteFrom('recordings')
      .where('account_id', '=', accountId)
      .where('record_id', '=', recordId)
      .returningAll()
      .executeTakeFirst();
    if (row) await bumpCounters(trx, row, -1);
    return row;
  });
}

export async function updateMetadata(db: Kysely<Database>, id: number, metadata: string): Promise<void> {
  await db.updateTable('recordings').set({ metadata }).where('id', '=', id).execute();
}
