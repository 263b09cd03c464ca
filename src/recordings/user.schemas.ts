import { Type, type Static } from '@sinclair/typebox';
import { AccountQuery, ActingAccountId, offsetPage } from '../http/schemas.js';
import { PastRoomInfo } from '../sessions/schemas.js';
import { StringEnum } from '../shared/schema.js';
import { RecordingInfo, RecordingMetadata } from './schemas.js';

/** Schemas of the user-authenticated recordings API (`/api/v4/recording-rooms`, `/api/v4/recordings`). */

const Page = offsetPage(100, 20);

export { AccountQuery };
/** `csv`: the same page as CSV, one dotted column per field (also `Accept: text/csv`). */
export const Format = Type.Optional(StringEnum(['json', 'csv'], { description: 'csv: the same page as CSV' }));
export const RoomsQuery = Type.Object({ account_id: ActingAccountId, ...Page });
export const RecordingsQuery = Type.Object({
  account_id: ActingAccountId,
  room_id: Type.String({ minLength: 1, maxLength: 256 }),
  order_by: Type.Optional(Type.Union([Type.Literal('DESC'), Type.Literal('ASC')], { default: 'DESC' })),
  format: Format,
  ...Page,
});
export type RecordingsQuery = Static<typeof RecordingsQuery>;

export const RecordParams = Type.Object({ record_id: Type.String({ minLength: 1, maxLength: 256 }) });
/** A BCP 47-like language tag, as WebVTT tracks name them (`en`, `de`, `pt-BR`). */
export const LANGUAGE_PATTERN = '^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$';
export const SubtitleParams = Type.Object({
  record_id: Type.String({ minLength: 1, maxLength: 256 }),
  lang: Type.String({ pattern: LANGUAGE_PATTERN }),
});
export const SubtitleQuery = Type.Object({
  account_id: ActingAccountId,
  label: Type.String({ minLength: 1, maxLength: 256, description: 'What a player shows, e.g. "English"' }),
});

export const RoomPage = Type.Object({
  total: Type.Integer(),
  items: Type.Array(
    Type.Object({
      room_id: Type.String(),
      recordings: Type.Integer(),
      total_size: Type.Integer({ description: 'Bytes' }),
      newest_creation_time: Type.Integer({ description: 'Unix seconds of the newest recording' }),
    }),
  ),
});

export const RecordingPage = Type.Object({ total: Type.Integer(), items: Type.Array(RecordingInfo) });
export const RecordingDetail = Type.Object({ recording_info: RecordingInfo, room_info: PastRoomInfo });

export const MetadataPatch = Type.Object({
  account_id: ActingAccountId,
  title: Type.Optional(Type.String({ maxLength: 1000 })),
  description: Type.Optional(Type.String({ maxLength: 10_000 })),
  extra_data: Type.Optional(
    Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 10_000 }), {
      maxProperties: 100,
      description: 'A value "" removes the key',
    }),
  ),
});
export { RecordingMetadata };
