import { Type, type Static, type TInteger, type TOptional, type TProperties } from '@sinclair/typebox';
import { Id, Instant } from '../../http/schemas.js';
import { StringEnum } from '../../shared/schema.js';

/** The window every analytics endpoint reads: one channel, [start_date, end_date), a time zone. */
export const WindowQuery = Type.Object({
  channel_id: Id,
  start_date: Instant('ISO 8601 with Z or an offset; inclusive'),
  end_date: Instant('ISO 8601 with Z or an offset; exclusive'),
  time_zone: Type.Optional(
    Type.String({ maxLength: 64, description: 'IANA time zone for hours, week days and buckets (default UTC)' }),
  ),
  format: Type.Optional(StringEnum(['json', 'csv'], { description: 'csv: the same answer as CSV (default json)' })),
});
export type WindowQuery = Static<typeof WindowQuery>;

/** An endpoint's query string: the window and its own parameters. */
export const windowQuery = <E extends TProperties>(extra: E) => Type.Object({ ...WindowQuery.properties, ...extra });

export const READ_FIELDS = ['total_reads', 'unique_reads', 'report_readers', 'reports_seen'] as const;
export type ReadField = (typeof READ_FIELDS)[number];
export const AWARENESS_FIELDS = ['total_alerts', 'unique_alerts', 'alert_source_reports', 'alerts_opened'] as const;
export type AwarenessField = (typeof AWARENESS_FIELDS)[number];

/** `fields=`: a comma-separated choice among `names`, the first one by default. */
export const Fields = (names: readonly string[]) =>
  Type.Optional(
    Type.String({ maxLength: 200, description: `Comma-separated: ${names.join(', ')} (default: ${names[0]})` }),
  );

/** Optional integer counts, one per field name (only the fields asked are sent). */
export const countsOf = <F extends string>(names: readonly F[]): Record<F, TOptional<TInteger>> =>
  Object.fromEntries(names.map((name) => [name, Type.Optional(Type.Integer())])) as Record<F, TOptional<TInteger>>;
