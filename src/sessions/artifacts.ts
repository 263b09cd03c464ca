import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { invalidParams, notFound } from '../http/errors.js';
import { pageParams } from '../http/plugnmeet.js';
import { formatRoomTime, pastRoomOfSession } from './past-rooms.js';
import * as repo from './past-rooms.repository.js';
import { findAnalyticsFile, type AnalyticsFileRow } from './repository.js';
import type { ArtifactInfo, ArtifactsFetchBody } from './schemas.js';

/**
 * plugNmeet v2's artifact API over Recap's analytics files: each file is an artifact of type
 * MEETING_ANALYTICS whose artifact_id is its file_id, so the same file is reachable through both
 * APIs. Counts and sizes are JSON numbers, as in Recap's other answers (protojson would write
 * int64 as strings; clients read both).
 */

const MEETING_ANALYTICS = 'MEETING_ANALYTICS';

/** The type filter: absent, MEETING_ANALYTICS (name or 1), or another known kind Recap keeps none of. */
function requestedType(type: string | number | undefined): { name?: string; none: boolean } {
  if (type === undefined) return { none: false };
  if (type === MEETING_ANALYTICS || type === 1) return { name: MEETING_ANALYTICS, none: false };
  const known = /^[A-Z_]{1,64}$/.test(String(type)) || (typeof type === 'number' && type >= 0 && type <= 9);
  if (!known) throw invalidParams(`type "${type}" is not an artifact type`);
  return { name: String(type), none: true };
}

const toArtifact = (row: AnalyticsFileRow): ArtifactInfo => ({
  artifact_id: row.file_id,
  room_id: row.room_id,
  type: MEETING_ANALYTICS,
  created: formatRoomTime(row.creation_time * 1000, 'rfc3339'),
  metadata: {
    user_info: null,
    provider_job_info: null,
    file_info: { file_path: row.file_path, file_size: row.file_size, mime_type: 'application/json' },
  },
});

/** `artifact/fetch`: paging as fetchPastRooms; no match at all answers NOT_FOUND (the route's). */
export async function fetchArtifacts(db: Kysely<Database>, accountId: number, body: ArtifactsFetchBody) {
  const { from, limit, orderBy } = pageParams(body);
  const type = requestedType(body.type);
  const q = { accountId, roomIds: [...new Set(body.room_ids ?? [])], roomSid: body.room_sid };
  const total = type.none ? 0 : await repo.countArtifacts(db, q);
  const rows =
    total > from
      ? await repo.pageArtifacts(db, { ...q, direction: orderBy === 'ASC' ? 'asc' : 'desc', offset: from, limit })
      : [];
  return { total, from, limit, orderBy, type: type.name, artifacts: rows.map(toArtifact) };
}

/** `artifact/info`: the artifact and the past room of its session. */
export async function artifactInfo(db: Kysely<Database>, accountId: number, artifactId: string) {
  const row = await findAnalyticsFile(db, accountId, artifactId);
  if (!row) throw notFound('artifact not found');
  const room = await pastRoomOfSession(db, accountId, row.room_sid);
  return { artifact_info: toArtifact(row), ...(room ? { room_info: room } : {}) };
}
