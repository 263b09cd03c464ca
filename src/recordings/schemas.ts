import { Type, type Static } from '@sinclair/typebox';
import { PastRoomInfo } from '../sessions/schemas.js';
import { PlugnmeetStatus as Success } from '../http/schemas.js';

const RoomId = Type.String({ minLength: 1, maxLength: 256 });
const RecordId = Type.String({ minLength: 1, maxLength: 256 });
const UnixSeconds = Type.Integer({ minimum: 0, maximum: 99_999_999_999, description: 'Unix time in seconds' });

export const Subtitle = Type.Object({ label: Type.String({ maxLength: 256 }), url: Type.String({ maxLength: 2048 }) });

/** Stored and returned metadata: every key always present. */
export const RecordingMetadata = Type.Object({
  title: Type.String(),
  description: Type.String(),
  subtitles: Type.Record(Type.String(), Subtitle),
  extra_data: Type.Record(Type.String(), Type.String()),
});
export type RecordingMetadata = Static<typeof RecordingMetadata>;

/** Metadata in a request: every key optional (patch semantics on update). */
export const RecordingMetadataInput = Type.Object({
  title: Type.Optional(Type.String({ maxLength: 1000 })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  subtitles: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 32 }), Subtitle, { maxProperties: 100 })),
  extra_data: Type.Optional(
    Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 10_000 }), {
      maxProperties: 100,
    }),
  ),
});
export type RecordingMetadataInput = Static<typeof RecordingMetadataInput>;

export const FetchBody = Type.Object({
  room_ids: Type.Optional(Type.Array(RoomId, { minItems: 1, maxItems: 500 })),
  room_sid: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  from: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  order_by: Type.Optional(Type.String({ maxLength: 8 })),
});
export type FetchBody = Static<typeof FetchBody>;

export const RecordIdBody = Type.Object({ record_id: RecordId });

export const UpdateMetadataBody = Type.Object({ record_id: RecordId, metadata: RecordingMetadataInput });

const RegistrationFields = {
  room_id: RoomId,
  room_sid: Type.String({ minLength: 1, maxLength: 256 }),
  record_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9._:-]+$' })),
  creation_time: Type.Optional(UnixSeconds),
  room_creation_time: Type.Optional(UnixSeconds),
  room_title: Type.Optional(Type.String({ maxLength: 1000 })),
  metadata: Type.Optional(RecordingMetadataInput),
};

export const AddBody = Type.Object({
  ...RegistrationFields,
  file_path: Type.String({
    minLength: 1,
    maxLength: 1024,
    description: "Relative to the account's recordings directory, RECAP_DATA_DIR/files/recordings/<account_id>/",
  }),
  file_size: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type AddBody = Static<typeof AddBody>;

export const UploadTokenBody = Type.Object({
  ...RegistrationFields,
  file_name: Type.String({
    minLength: 1,
    maxLength: 255,
    pattern: '^[^/\\\\\\x00]+$',
    description: "The file name, stored as <room_id>/<record_id>/<file_name> in the account's recordings directory",
  }),
});
export type UploadTokenBody = Static<typeof UploadTokenBody>;

export const RecordingInfo = Type.Object({
  record_id: Type.String(),
  room_id: Type.String(),
  room_sid: Type.String(),
  file_path: Type.String(),
  file_size: Type.Integer(),
  creation_time: Type.Integer(),
  room_creation_time: Type.Integer(),
  metadata: RecordingMetadata,
});
export type RecordingInfo = Static<typeof RecordingInfo>;

export const FetchReply = Type.Object({
  ...Success,
  result: Type.Optional(
    Type.Object({
      total_recordings: Type.Integer(),
      from: Type.Integer(),
      limit: Type.Integer(),
      order_by: Type.String(),
      recordings_list: Type.Array(RecordingInfo),
    }),
  ),
});

export const RecordReply = Type.Object({
  ...Success,
  record_id: Type.Optional(Type.String()),
  recording_info: Type.Optional(RecordingInfo),
});
export const InfoReply = Type.Object({
  ...Success,
  recording_info: Type.Optional(RecordingInfo),
  room_info: Type.Optional(PastRoomInfo),
});
