import { Type, type Static } from '@sinclair/typebox';
import { FIELD_TYPES } from '../db/schema.js';
import { ActingAccountId, Id, Instant as InstantOf, IsoTimestamp, offsetPage } from '../http/schemas.js';
import { StringEnum } from '../shared/schema.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Instant = InstantOf();
const UserIds = Type.Array(Id, { minItems: 1, maxItems: 10_000, uniqueItems: true });
/** A report's own columns, as the data API and the raw export both show them. */
const reportColumns = {
  id: Type.Integer(),
  account_id: Type.Integer(),
  channel_id: Type.Integer(),
  form_id: Type.Union([Type.Integer(), Type.Null()]),
  user_id: Type.Integer(),
  state_id: Type.Union([Type.Integer(), Type.Null()]),
  created_at: IsoTimestamp,
};

export const NamedBody = Type.Object({
  name: Name,
  account_id: Type.Optional(Type.Integer({ minimum: 1, description: 'Admins only' })),
});
export type NamedBody = Static<typeof NamedBody>;
export const Named = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  name: Type.String(),
  created_at: IsoTimestamp,
});

export const ReportsExportQuery = Type.Object({
  channel_id: Id,
  start_date: Instant,
  end_date: Instant,
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Type.String({ maxLength: 64, description: 'The `next_cursor` of the previous page' })),
  format: Type.Optional(
    StringEnum(['json', 'csv'], { description: 'csv: the whole window as one streamed file (also Accept: text/csv)' }),
  ),
});
export type ReportsExportQuery = Static<typeof ReportsExportQuery>;
export const ExportedReport = Type.Object({
  ...reportColumns,
  values: Type.Record(Type.String(), Type.Unknown()),
  reads: Type.Integer(),
  images: Type.Integer(),
});
export const ReportsExportPage = Type.Object({
  items: Type.Array(ExportedReport),
  next_cursor: Type.Optional(Type.String()),
});

export const ChannelsQuery = Type.Object({
  account_id: ActingAccountId,
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the name, any letter case' })),
  ...offsetPage(200, 50),
});
export type ChannelsQuery = Static<typeof ChannelsQuery>;
export const ChannelPage = Type.Object({
  total: Type.Integer(),
  items: Type.Array(
    Type.Object({
      ...Named.properties,
      reports_last_30_days: Type.Integer({ description: 'Reports of the last 30 UTC days, today included' }),
    }),
  ),
});

export const OptionBody = Type.Object({
  name: Name,
  value: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
});
export const FieldBody = Type.Object({
  name: Name,
  field_type: StringEnum([...FIELD_TYPES]),
  options: Type.Optional(Type.Array(OptionBody, { minItems: 1, maxItems: 500 })),
});
export const FormBody = Type.Object({ channel_id: Id, name: Name, fields: Type.Array(FieldBody, { maxItems: 200 }) });
export type FormBody = Static<typeof FormBody>;

export const Option = Type.Object({ id: Type.Integer(), name: Type.String(), value: Type.String() });
export const Field = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  field_type: Type.String(),
  options: Type.Array(Option),
});
export const Form = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  channel_id: Type.Integer(),
  name: Type.String(),
  created_at: IsoTimestamp,
  fields: Type.Array(Field),
});
export const FormsQuery = Type.Object({ channel_id: Id });

const FieldValue = Type.Union([
  Type.String({ maxLength: 10_000 }),
  Type.Number(),
  Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 }),
]);
export type FieldValue = Static<typeof FieldValue>;
export const ReportBody = Type.Object({
  channel_id: Id,
  form_id: Type.Optional(Id),
  user_id: Type.Optional(Id),
  state_id: Type.Optional(Id),
  created_at: Type.Optional(Instant),
  values: Type.Optional(
    Type.Record(Type.String({ pattern: '^[0-9]+$' }), FieldValue, {
      description: 'field id → option value (array for Checkbox), text, number or ISO date',
    }),
  ),
});
export type ReportBody = Static<typeof ReportBody>;
export const Report = Type.Object({
  ...reportColumns,
  values: Type.Record(Type.String(), FieldValue),
});
export const ReportPatch = Type.Object({ state_id: Type.Union([Id, Type.Null()]) });

export const ReadBody = Type.Object({ user_id: Type.Optional(Id), read_at: Type.Optional(Instant) });
export type ReadBody = Static<typeof ReadBody>;
export const Read = Type.Object({
  id: Type.Integer(),
  report_id: Type.Integer(),
  user_id: Type.Integer(),
  read_at: IsoTimestamp,
});

export const AlertBody = Type.Object({ report_id: Id, user_ids: UserIds, sent_at: Type.Optional(Instant) });
export type AlertBody = Static<typeof AlertBody>;
export const DeliveriesBody = Type.Object({ user_ids: UserIds, sent_at: Type.Optional(Instant) });
export type DeliveriesBody = Static<typeof DeliveriesBody>;
export const Alert = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  report_id: Type.Integer(),
  created_at: IsoTimestamp,
  deliveries: Type.Integer({ description: 'Deliveries made by this call' }),
});
export const OpenBody = Type.Object({ user_id: Type.Optional(Id), opened_at: Type.Optional(Instant) });
export type OpenBody = Static<typeof OpenBody>;
export const Open = Type.Object({
  id: Type.Integer(),
  alert_id: Type.Integer(),
  user_id: Type.Integer(),
  opened_at: IsoTimestamp,
});
