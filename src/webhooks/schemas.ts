import { Type, type Static } from '@sinclair/typebox';
import { ActingAccountId, Id, IsoTimestamp } from '../http/schemas.js';
import { StringEnum } from '../shared/schema.js';
import { WEBHOOK_EVENTS } from './service.js';

/** Schemas of `/api/v4/webhooks`: an account's webhook settings and its delivery log. */

const DELIVERY_STATES = ['pending', 'delivered', 'failed'];

export const SettingsQuery = Type.Object({ account_id: ActingAccountId });

export const SettingsBody = Type.Object({
  account_id: ActingAccountId,
  url: Type.String({
    maxLength: 2048,
    description: 'Where every event of the account is sent (http or https); "" for nowhere',
  }),
  signing_api_key: Type.Optional(
    Type.Union([Type.String({ maxLength: 128 }), Type.Null()], {
      description: 'The API key whose secret signs deliveries; null or absent: the account’s oldest active key',
    }),
  ),
});
export type SettingsBody = Static<typeof SettingsBody>;

export const Settings = Type.Object({
  account_id: Type.Integer(),
  url: Type.String(),
  signing_api_key: Type.Union([Type.String(), Type.Null()]),
});

export const DeliveriesQuery = Type.Object({
  account_id: ActingAccountId,
  event: Type.Optional(StringEnum([...WEBHOOK_EVENTS])),
  state: Type.Optional(StringEnum(DELIVERY_STATES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  before: Type.Optional({ ...Id, description: 'The `next_before` of the previous page' }),
});
export type DeliveriesQuery = Static<typeof DeliveriesQuery>;

const NullableIso = Type.Union([IsoTimestamp, Type.Null()]);

export const Delivery = Type.Object({
  id: Type.Integer(),
  event_id: Type.String({ description: 'The event’s `id`: the same for each URL it went to' }),
  event: Type.String(),
  url: Type.String(),
  state: StringEnum(DELIVERY_STATES),
  attempts: Type.Integer(),
  created_at: IsoTimestamp,
  last_attempt_at: NullableIso,
  last_status: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last attempt' }),
  last_error: Type.Union([Type.String(), Type.Null()]),
  delivered_at: NullableIso,
  next_attempt_at: Type.Union([IsoTimestamp, Type.Null()], { description: 'When a pending delivery is tried next' }),
  body: Type.String({ description: 'The JSON body exactly as sent' }),
});

export const DeliveryPage = Type.Object({
  items: Type.Array(Delivery),
  next_before: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `before` for the next page' }),
});
