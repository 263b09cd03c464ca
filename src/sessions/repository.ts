import { sql, type Kysely } from 'kysely';
import { bulkInsertValues, isOneOf, mergeOrderedArms, type SortDirection } from '../db/dialect.js';
import { executeNamed, preparedQuery, type QueryShape } from '../db/prepared.js';
import type { AnalyticsFilesTable, Database, RoomSessionsTable } from '../db/schema.js';
import type { Selectable, Insertable } from 'kysely';
import type { StoredEvent } from './analytics-file.js';

/** Every query on room sessions, room events and analytics files. */

export type SessionRow = Selectable<RoomSessionsTable>;
export type AnalyticsFileRow = Selectable<AnalyticsFilesTable>;
export type Direction = SortDirection;

/** A batch's sessions: one statement text whatever the number of rooms (a named statement on PostgreSQL). */
export async function findSessions(
  db: Kysely<Database>,
  accountId: number,
  roomSids: readonly string[],
): Promise<SessionRow[]> {
  if (roomSids.length === 0) return [];
  return executeNamed(
    db,
    db
      .selectFrom('room_sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where(isOneOf(db, 'room_sid', roomSids)),
  );
}

/** Opens a session, or returns the one a concurrent batch opened first (same room_sid). */
export async function openSession(db: Kysely<Database>, session: Insertable<RoomSessionsTable>): Promise<SessionRow> {
  const inserted = await db
    .insertInto('room_sessions')
    .values(session)
    .onConflict((oc) => oc.columns(['account_id', 'room_sid']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  return db
    .selectFrom('room_sessions')
    .selectAll()
    .where('account_id', '=', session.account_id)
    .where('room_sid', '=', session.room_sid)
    .executeTakeFirstOrThrow();
}

const touchQuery = preparedQuery(
  (
    db,
    s: { title: boolean; webhook: boolean },
    v: { id: number; lastEventAt: number; seenAt: number; title: string; webhookUrl: string },
  ) =>
    db
      .updateTable('room_sessions')
      .set((eb) => ({
        last_seen_at: v.seenAt,
        last_event_at: sql<number>`case when ${eb.ref('last_event_at')} > ${v.lastEventAt} then ${eb.ref('last_event_at')} else ${v.lastEventAt} end`,
        ...(s.title ? { room_title: v.title } : {}),
        ...(s.webhook ? { webhook_url: v.webhookUrl } : {}),
      }))
      .where('id', '=', v.id),
);

export async function touchSession(
  db: Kysely<Database>,
  id: number,
  lastEventAt: number,
  seenAt: number,
  changes: { roomTitle?: string | undefined; webhookUrl?: string | undefined },
): Promise<void> {
  await touchQuery(
    db,
    { title: Boolean(changes.roomTitle), webhook: Boolean(changes.webhookUrl) },
    { id, lastEventAt, seenAt, title: changes.roomTitle ?? '', webhookUrl: changes.webhookUrl ?? '' },
  );
}

export async function endSession(db: Kysely<Database>, id: number, endedAt: number): Promise<void> {
  await db
    .updateTable('room_sessions')
    .set({ state: 'ended', ended_at: endedAt })
    .where('id', '=', id)
    .where('state', '=', 'open')
    .execute();
}

/** Open sessions without an event arriving since `before` become ended at their last event. */
export async function endIdleSessions(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db
    .updateTable('room_sessions')
    .set((eb) => ({ state: 'ended', ended_at: eb.ref('last_event_at') }))
    .where('state', '=', 'open')
    .where('last_seen_at', '<', before)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function endedSessions(db: Kysely<Database>, limit: number): Promise<SessionRow[]> {
  return db
    .selectFrom('room_sessions')
    .selectAll()
    .where('state', '=', 'ended')
    .orderBy('last_seen_at')
    .limit(limit)
    .execute();
}

export async function closeSession(db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db
    .updateTable('room_sessions')
    .set({ state: 'closed' })
    .where('id', '=', id)
    .where('state', '=', 'ended')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export type NewEvent = Omit<StoredEvent, never> & { account_id: number; session_id: number; event_id: string | null };

const EVENT_COLUMNS = [
  'account_id',
  'session_id',
  'event_id',
  'event',
  'time',
  'user_id',
  'name',
  'is_admin',
  'ex_user_id',
  'value',
] as const satisfies readonly (keyof NewEvent)[];

/**
 * Inserts events; those whose event_id exists already are skipped. Returns how many were new.
 * One fixed text per batch size (bulkInsertValues): a batch of 500 is not parsed into query nodes.
 */
export async function insertEvents(db: Kysely<Database>, events: NewEvent[]): Promise<number> {
  const values: unknown[] = [];
  for (const event of events) for (const column of EVENT_COLUMNS) values.push(event[column]);
  return bulkInsertValues(
    db,
    'room_events',
    EVENT_COLUMNS,
    values,
    'on conflict (account_id, event_id) where event_id is not null do nothing',
  );
}

export async function existingEventIds(
  db: Kysely<Database>,
  accountId: number,
  eventIds: readonly string[],
): Promise<Set<string>> {
  if (eventIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('room_events')
    .select('event_id')
    .where('account_id', '=', accountId)
    .where(isOneOf(db, 'event_id', eventIds))
    .execute();
  return new Set(rows.map((r) => r.event_id!));
}

/** One page of a session's events in (time, id) order, after the given position. */
export async function sessionEventsPage(
  db: Kysely<Database>,
  sessionId: number,
  after: { time: number; id: number } | undefined,
  limit: number,
): Promise<(StoredEvent & { id: number })[]> {
  let query = db
    .selectFrom('room_events')
    .select(['id', 'event', 'time', 'user_id', 'name', 'is_admin', 'ex_user_id', 'value'])
    .where('session_id', '=', sessionId);
  if (after)
    query = query.where((eb) =>
      eb.or([eb('time', '>', after.time), eb.and([eb('time', '=', after.time), eb('id', '>', after.id)])]),
    );
  return query.orderBy('time').orderBy('id').limit(limit).execute();
}

export async function insertAnalyticsFile(db: Kysely<Database>, file: Insertable<AnalyticsFilesTable>): Promise<void> {
  await db.insertInto('analytics_files').values(file).execute();
  await bumpTotals(db, file.account_id, file.room_id, 1, file.file_size);
}

async function bumpTotals(
  db: Kysely<Database>,
  accountId: number,
  roomId: string,
  delta: 1 | -1,
  bytes: number,
): Promise<void> {
  await db
    .insertInto('analytics_room_totals')
    .values({ account_id: accountId, room_id: roomId, total: delta, total_size: delta * bytes })
    .onConflict((oc) =>
      oc.columns(['account_id', 'room_id']).doUpdateSet({
        total: sql`analytics_room_totals.total + ${delta}`,
        total_size: sql`analytics_room_totals.total_size + ${delta * bytes}`,
      }),
    )
    .execute();
}

export async function findAnalyticsFile(
  db: Kysely<Database>,
  accountId: number,
  fileId: string,
): Promise<AnalyticsFileRow | undefined> {
  return db
    .selectFrom('analytics_files')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('file_id', '=', fileId)
    .executeTakeFirst();
}

export async function findAnalyticsFileById(
  db: Kysely<Database>,
  accountId: number,
  id: number,
): Promise<AnalyticsFileRow | undefined> {
  return db
    .selectFrom('analytics_files')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export async function deleteAnalyticsFile(
  trx: Kysely<Database>,
  accountId: number,
  fileId: string,
): Promise<AnalyticsFileRow | undefined> {
  const row = await trx
    .deleteFrom('analytics_files')
    .where('account_id', '=', accountId)
    .where('file_id', '=', fileId)
    .returningAll()
    .executeTakeFirst();
  if (row) await bumpTotals(trx, accountId, row.room_id, -1, row.file_size);
  return row;
}

const roomTotalsQuery = preparedQuery((db, _shape: QueryShape, v: { accountId: number; roomIds: readonly string[] }) =>
  db
    .selectFrom('analytics_room_totals')
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
  return new Map(rows.map((r) => [r.room_id, Number(r.total)]));
}

const LISTED = ['room_id', 'file_id', 'file_name', 'file_size', 'creation_time', 'room_creation_time'] as const;
export type ListedAnalyticsFile = Pick<AnalyticsFileRow, (typeof LISTED)[number]>;

/**
 * A page in (creation_time, file_id) order over several rooms, merged by the engine (see
 * mergeOrderedArms), as recordings. A room has one file per meeting, so offsets stay small and need
 * no per-day counters.
 */
const pageQuery = preparedQuery(
  (
    db,
    shape: { direction: Direction; limit: number },
    v: { accountId: number; roomIds: readonly string[]; offset: number },
  ) => {
    const arms = v.roomIds.map((roomId) =>
      db
        .selectFrom('analytics_files')
        .select(['creation_time', 'file_id', 'id'])
        .where('account_id', '=', v.accountId)
        .where('room_id', '=', roomId),
    );
    const keys = mergeOrderedArms(db, arms, ['creation_time', 'file_id'], shape.direction, {
      offset: v.offset,
      limit: shape.limit,
    });
    return db
      .selectFrom(keys.as('page'))
      .innerJoin('analytics_files', 'analytics_files.id', 'page.id')
      .select(LISTED.map((c) => `analytics_files.${c}` as const))
      .orderBy('page.creation_time', shape.direction)
      .orderBy('page.file_id', shape.direction);
  },
);

export async function pageByRooms(
  db: Kysely<Database>,
  q: { accountId: number; roomIds: readonly string[]; direction: Direction; offset: number; limit: number },
): Promise<ListedAnalyticsFile[]> {
  if (q.roomIds.length === 0) return [];
  const { direction, limit, ...values } = q;
  return pageQuery(db, { direction, limit }, values);
}

/** Instance-wide figures for statistics, from the per-room counters. */
export async function analyticsTotals(db: Kysely<Database>): Promise<{ files: number; bytes: number }> {
  const row = await db
    .selectFrom('analytics_room_totals')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('total'), sql<number>`0`).as('files'),
      eb.fn.coalesce(eb.fn.sum<number>('total_size'), sql<number>`0`).as('bytes'),
    ])
    .executeTakeFirstOrThrow();
  return { files: Number(row.files), bytes: Number(row.bytes) };
}

function roomsWithFiles(db: Kysely<Database>, accountId: number) {
  return db.selectFrom('analytics_room_totals').where('account_id', '=', accountId).where('total', '>', 0);
}

export async function countAnalyticsRooms(db: Kysely<Database>, accountId: number): Promise<number> {
  const row = await roomsWithFiles(db, accountId)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A page of an account's rooms with analytics files, by room id, with the newest file (one index probe per room). */
export async function pageAnalyticsRooms(db: Kysely<Database>, accountId: number, offset: number, limit: number) {
  return roomsWithFiles(db, accountId)
    .select((eb) => [
      'room_id',
      'total',
      'total_size',
      eb
        .selectFrom('analytics_files')
        .select('creation_time')
        .whereRef('analytics_files.account_id', '=', 'analytics_room_totals.account_id')
        .whereRef('analytics_files.room_id', '=', 'analytics_room_totals.room_id')
        .orderBy('creation_time', 'desc')
        .limit(1)
        .as('newest'),
    ])
    .orderBy('room_id')
    .limit(limit)
    .offset(offset)
    .execute();
}

/** A page of every account's analytics files by id (backups list the files rows own). */
export async function analyticsFilesPage(db: Kysely<Database>, afterId: number, limit: number) {
  return db
    .selectFrom('analytics_files')
    .select(['id', 'account_id', 'file_path'])
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}
