import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AnalyticsFileRow, Direction, SessionRow } from './repository.js';

/** The reads of plugNmeet's records API: past rooms (ended sessions) and artifacts (analytics files). */

/** Sessions that have ended (plugNmeet's past rooms): of every room of the account, or of some. */
function pastSessions(db: Kysely<Database>, accountId: number, roomIds: readonly string[]) {
  let query = db.selectFrom('room_sessions').where('account_id', '=', accountId).where('state', '<>', 'open');
  if (roomIds.length > 0) query = query.where('room_id', 'in', roomIds);
  return query;
}

export async function countPastSessions(
  db: Kysely<Database>,
  accountId: number,
  roomIds: readonly string[],
): Promise<number> {
  const row = await pastSessions(db, accountId, roomIds)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A page of past sessions in the order they opened (as plugNmeet orders its room rows by id). */
export async function pagePastSessions(
  db: Kysely<Database>,
  q: { accountId: number; roomIds: readonly string[]; direction: Direction; offset: number; limit: number },
): Promise<SessionRow[]> {
  return pastSessions(db, q.accountId, q.roomIds)
    .selectAll()
    .orderBy('id', q.direction)
    .limit(q.limit)
    .offset(q.offset)
    .execute();
}

export async function findSessionBySid(
  db: Kysely<Database>,
  accountId: number,
  roomSid: string,
): Promise<SessionRow | undefined> {
  return db
    .selectFrom('room_sessions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('room_sid', '=', roomSid)
    .executeTakeFirst();
}

/** Distinct users who joined each session. */
export async function joinedParticipants(
  db: Kysely<Database>,
  sessionIds: readonly number[],
): Promise<Map<number, number>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('room_events')
    .select(['session_id', (eb) => eb.fn.count<number>('user_id').distinct().as('n')])
    .where('session_id', 'in', sessionIds)
    .where('event', '=', 'participant_joined')
    .groupBy('session_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.session_id), Number(r.n)]));
}

/** The analytics file ids of sessions (by room_sid) that have a file. */
export async function analyticsFileIdsOfSessions(
  db: Kysely<Database>,
  accountId: number,
  roomSids: readonly string[],
): Promise<Map<string, string>> {
  if (roomSids.length === 0) return new Map();
  const rows = await db
    .selectFrom('analytics_files')
    .select(['room_sid', 'file_id'])
    .where('account_id', '=', accountId)
    .where('room_sid', 'in', roomSids)
    .execute();
  return new Map(rows.map((r) => [r.room_sid, r.file_id]));
}

/** Analytics files as plugNmeet artifacts: of every room of the account, of some, or of one session. */
function artifacts(
  db: Kysely<Database>,
  q: { accountId: number; roomIds: readonly string[]; roomSid?: string | undefined },
) {
  let query = db.selectFrom('analytics_files').where('account_id', '=', q.accountId);
  if (q.roomIds.length > 0) query = query.where('room_id', 'in', q.roomIds);
  // A session's analytics file has the room_sid as its file_id (unique per account).
  if (q.roomSid !== undefined) query = query.where('file_id', '=', q.roomSid);
  return query;
}

export async function countArtifacts(
  db: Kysely<Database>,
  q: { accountId: number; roomIds: readonly string[]; roomSid?: string | undefined },
): Promise<number> {
  const row = await artifacts(db, q)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A page of artifacts in the order they were written (plugNmeet orders its artifact rows by id). */
export async function pageArtifacts(
  db: Kysely<Database>,
  q: {
    accountId: number;
    roomIds: readonly string[];
    roomSid?: string | undefined;
    direction: Direction;
    offset: number;
    limit: number;
  },
): Promise<AnalyticsFileRow[]> {
  return artifacts(db, q).selectAll().orderBy('id', q.direction).limit(q.limit).offset(q.offset).execute();
}
