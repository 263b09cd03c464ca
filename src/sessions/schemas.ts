import { Type, type Static } from '@sinclair/typebox';
import { plugnmeetReply } from '../http/schemas.js';

const RoomId = Type.String({ minLength: 1, maxLength: 256 });
const FileId = Type.String({ minLength: 1, maxLength: 256 });

export const RoomEvent = Type.Object({
  id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Sender id of the event: a second event with the same id is ignored',
    }),
  ),
  event: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'room_started, room_finished, participant_joined, participant_left, or a room/user event name',
  }),
  room_id: RoomId,
  room_sid: Type.String({ minLength: 1, maxLength: 256 }),
  time: Type.Integer({ minimum: 0, maximum: 9_999_999_999_999, description: 'Unix ms' }),
  room_title: Type.Optional(Type.String({ maxLength: 1000 })),
  user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  name: Type.Optional(Type.String({ maxLength: 1000 })),
  is_admin: Type.Optional(Type.Boolean()),
  ex_user_id: Type.Optional(Type.String({ maxLength: 256 })),
  value: Type.Optional(Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()])),
  webhook_url: Type.Optional(
    Type.String({
      maxLength: 2048,
      pattern: '^https?://',
      description: "The room's webhook URL (plugNmeet keeps it per room; fetchPastRooms shows it)",
    }),
  ),
});
export type RoomEvent = Static<typeof RoomEvent>;

export const EventsBody = Type.Object({ events: Type.Array(RoomEvent, { minItems: 1, maxItems: 1000 }) });
export type EventsBody = Static<typeof EventsBody>;

export const EventsReply = plugnmeetReply({
  // Optional: a business error (HTTP 200, status:false) carries none of them.
  stored: Type.Optional(Type.Integer({ description: 'Events stored by this call' })),
  duplicates: Type.Optional(Type.Integer({ description: 'Events ignored: their id was seen before' })),
  late: Type.Optional(Type.Integer({ description: 'Events ignored: their session had already ended' })),
});

export const AnalyticsFetchBody = Type.Object({
  room_ids: Type.Array(RoomId, { minItems: 1, maxItems: 500 }),
  from: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  order_by: Type.Optional(Type.String({ maxLength: 8 })),
});

export const AnalyticsInfo = Type.Object({
  room_id: Type.String(),
  file_id: Type.String(),
  file_name: Type.String(),
  file_size: Type.Integer({ description: 'Bytes' }),
  creation_time: Type.Integer({ description: 'Unix seconds: when the file was written' }),
  room_creation_time: Type.Integer({ description: 'Unix seconds: when the session started' }),
});

export const AnalyticsFetchReply = plugnmeetReply({
  result: Type.Optional(
    Type.Object({
      total_analytics: Type.Integer(),
      from: Type.Integer(),
      limit: Type.Integer(),
      order_by: Type.String(),
      analytics_list: Type.Array(AnalyticsInfo),
    }),
  ),
});

export const FileIdBody = Type.Object({ file_id: FileId });

export const PastRoomsBody = Type.Object({
  room_ids: Type.Optional(Type.Array(RoomId, { maxItems: 500, description: 'Absent or empty: every room' })),
  from: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  order_by: Type.Optional(Type.String({ maxLength: 8 })),
});
export type PastRoomsBody = Static<typeof PastRoomsBody>;

/** plugNmeet's PastRoomInfo; `analytics_file_id` only when the session's file exists. */
export const PastRoomInfo = Type.Object({
  room_title: Type.String(),
  room_id: Type.String(),
  room_sid: Type.String(),
  joined_participants: Type.Integer({ description: 'Distinct users who joined' }),
  webhook_url: Type.String(),
  created: Type.String({ description: 'UTC: RFC 3339 in fetchPastRooms, "2006-01-02 15:04:05" in recording/info' }),
  ended: Type.String(),
  analytics_file_id: Type.Optional(Type.String()),
});
export type PastRoomInfo = Static<typeof PastRoomInfo>;

export const PastRoomsReply = plugnmeetReply({
  result: Type.Optional(
    Type.Object({
      total_rooms: Type.Integer(),
      from: Type.Integer(),
      limit: Type.Integer(),
      order_by: Type.String(),
      rooms_list: Type.Array(PastRoomInfo),
    }),
  ),
});

export const ArtifactsFetchBody = Type.Object({
  room_ids: Type.Optional(Type.Array(RoomId, { maxItems: 500, description: 'Absent or empty: every room' })),
  room_sid: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  type: Type.Optional(
    Type.Union([Type.String({ maxLength: 64 }), Type.Integer({ minimum: 0, maximum: 100 })], {
      description: 'RoomArtifactType, by name or number; Recap keeps MEETING_ANALYTICS (1)',
    }),
  ),
  from: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  order_by: Type.Optional(Type.String({ maxLength: 8 })),
});
export type ArtifactsFetchBody = Static<typeof ArtifactsFetchBody>;

export const ArtifactInfo = Type.Object({
  artifact_id: Type.String({ description: "The analytics file's file_id (its session's room_sid)" }),
  room_id: Type.String(),
  type: Type.String(),
  created: Type.String({ description: 'RFC 3339, UTC' }),
  metadata: Type.Object({
    user_info: Type.Null(),
    provider_job_info: Type.Null(),
    file_info: Type.Object({ file_path: Type.String(), file_size: Type.Integer(), mime_type: Type.String() }),
  }),
});
export type ArtifactInfo = Static<typeof ArtifactInfo>;

export const ArtifactsFetchReply = plugnmeetReply({
  result: Type.Optional(
    Type.Object({
      total_artifacts: Type.Integer(),
      from: Type.Integer(),
      limit: Type.Integer(),
      order_by: Type.String(),
      type: Type.Optional(Type.String()),
      artifacts_list: Type.Array(ArtifactInfo),
    }),
  ),
});

export const ArtifactIdBody = Type.Object({ artifact_id: FileId });

export const ArtifactInfoReply = plugnmeetReply({
  artifact_info: Type.Optional(ArtifactInfo),
  room_info: Type.Optional(PastRoomInfo),
});
