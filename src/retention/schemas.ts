import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ActingAccountId } from '../http/schemas.js';

/** Schemas of `/api/v4/retention`: an account's retention periods, in days per kind of data. */

const Days = Type.Integer({ minimum: 0, maximum: 36500 });
const OwnDays = Type.Union([Days, Type.Null()]);

const perKind = <T extends TSchema>(days: T, description: string) =>
  Type.Object({ room_events: days, analytics_files: days, recordings: days, reports: days }, { description });

const change = (what: string) =>
  Type.Optional(
    Type.Union([Days, Type.Null()], { description: `Days ${what} are kept (0: forever; null: the default)` }),
  );

export const RetentionQuery = Type.Object({ account_id: ActingAccountId });

export const RetentionBody = Type.Object(
  {
    account_id: ActingAccountId,
    room_events: change('raw room events of closed sessions'),
    analytics_files: change('analytics files'),
    recordings: change('recordings'),
    reports: change('reports, with their reads, alerts and images,'),
  },
  { additionalProperties: false },
);
export type RetentionBody = Static<typeof RetentionBody>;

export const Retention = Type.Object({
  account_id: Type.Integer(),
  account: perKind(OwnDays, 'The account’s own periods (null: the default applies)'),
  defaults: perKind(Days, 'The installation’s defaults (RECAP_RETENTION_*_DAYS)'),
  effective: perKind(Days, 'What the janitor applies (0: kept forever)'),
});
