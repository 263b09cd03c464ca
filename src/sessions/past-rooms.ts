import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { pageParams } from '../http/plugnmeet.js';
import * as repo from './past-rooms.repository.js';
import type { SessionRow } from './repository.js';
import type { PastRoomInfo, PastRoomsBody } from './schemas.js';

/**
 * plugNmeet's past rooms over Recap's sessions: a room is past once its session has ended. Times
 * are UTC, formatted as plugNmeet-server formats them: RFC 3339 in fetchPastRooms, and
 * `2006-01-02 15:04:05` in recording/info's room_info.
 */

export type RoomTimeFormat = 'rfc3339' | 'sql';

/** A unix-ms instant as plugNmeet-server formats room and artifact times; '' for none. */
export const formatRoomTime = (ms: number | null, format: RoomTimeFormat): string => {
  if (ms === null) return '';
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString();
  return format === 'rfc3339' ? iso.replace('.000Z', 'Z') : iso.replace('T', ' ').replace('.000Z', '');
};

async function toPastRooms(
  db: Kysely<Database>,
  accountId: number,
  sessions: readonly SessionRow[],
  format: RoomTimeFormat,
): Promise<PastRoomInfo[]> {
  const [joined, files] = await Promise.all([
    repo.joinedParticipants(
      db,
      sessions.filter((s) => s.joined_participants === null).map((s) => s.id),
    ),
    repo.analyticsFileIdsOfSessions(
      db,
      accountId,
      sessions.map((s) => s.room_sid),
    ),
  ]);
  return sessions.map((s) => {
    const fileId = files.get(s.room_sid);
    return {
      room_title: s.room_title,
      room_id: s.room_id,
      room_sid: s.room_sid,
      joined_participants: s.joined_participants ?? joined.get(s.id) ?? 0,
      webhook_url: s.webhook_url,
      created: formatRoomTime(s.started_at, format),
      ended: formatRoomTime(s.ended_at, format),
      ...(fileId === undefined ? {} : { analytics_file_id: fileId }),
    };
  });
}

/** `room/fetchPastRooms`, with plugNmeet's paging (pageParams). */
export async function fetchPastRooms(db: Kysely<Database>, accountId: number, body: PastRoomsBody) {
  const { from, limit, orderBy } = pageParams(body);
  const roomIds = [...new Set(body.room_ids ?? [])];
  const total = await repo.countPastSessions(db, accountId, roomIds);
  const sessions =
    total > from
      ? await repo.pagePastSessions(db, {
          accountId,
          roomIds,
          direction: orderBy === 'ASC' ? 'asc' : 'desc',
          offset: from,
          limit,
        })
      : [];
  return { total, from, limit, orderBy, rooms: await toPastRooms(db, accountId, sessions, 'rfc3339') };
}

/** The past-room info of one session (recording/info's room_info), or undefined when Recap has no such session. */
export async function pastRoomOfSession(
  db: Kysely<Database>,
  accountId: number,
  roomSid: string,
): Promise<PastRoomInfo | undefined> {
  const session = await repo.findSessionBySid(db, accountId, roomSid);
  return session && (await toPastRooms(db, accountId, [session], 'sql'))[0];
}

/** The webhook URL a session's events named ('' when none or no such session). */
export async function sessionWebhookUrl(db: Kysely<Database>, accountId: number, roomSid: string): Promise<string> {
  return (await repo.findSessionBySid(db, accountId, roomSid))?.webhook_url ?? '';
}
