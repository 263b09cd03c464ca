import type { ColumnType, Generated } from 'kysely';

/** Table types of the reports module (channels, forms, reports and their pre-aggregated counts). */

export interface NamedTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  created_at: number;
}

export interface FormsTable extends NamedTable {
  channel_id: number;
}

export const FIELD_TYPES = ['Category', 'DropDown', 'Radio', 'Checkbox', 'Text', 'Number', 'Date'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FormFieldsTable {
  id: Generated<number>;
  account_id: number;
  form_id: number;
  name: string;
  field_type: FieldType;
  position: number;
}

export interface FieldOptionsTable {
  id: Generated<number>;
  field_id: number;
  name: string;
  value: string;
  position: number;
}

export interface ReportsTable {
  id: Generated<number>;
  account_id: number;
  channel_id: number;
  form_id: number | null;
  user_id: number;
  state_id: number | null;
  /** Unix ms. */
  created_at: number;
  /** JSON object of the non-choice values by field id (strings, numbers, dates as given); null: none. */
  field_values: string | null;
  /** JSON array of the selected options' ids (choice fields); null: none. */
  option_ids: string | null;
}

export interface ReportImagesTable {
  id: Generated<number>;
  account_id: number;
  channel_id: number;
  report_id: number;
  /** The report's created_at (Unix ms): reports_images selects by report time. */
  report_created_at: number;
  /** Unix ms of the upload. */
  created_at: number;
  /** Directory of the stored variants, relative to the file storage root. */
  path: string;
  /** The original's format as sharp reads it (jpeg, png, webp, gif, avif, heif, tiff). */
  format: string;
  width: number;
  height: number;
  bytes: number;
}

/** Running totals per channel, kept with each write (server statistics read these). */
export interface ReportChannelTotalsTable {
  channel_id: number;
  account_id: number;
  reports: Generated<number>;
  reads: Generated<number>;
  alerts: Generated<number>;
  images: Generated<number>;
  image_bytes: Generated<number>;
}

/** A time that a write may leave out (null: none). */
type OptionalTime = ColumnType<number | null, number | null | undefined>;

export interface ReportReadsTable {
  id: Generated<number>;
  report_id: number;
  channel_id: number;
  user_id: number;
  read_at: number;
  /** Times of the previous and next read of the same report, user (in the channel) and pair. */
  prev_report_at: OptionalTime;
  next_report_at: OptionalTime;
  prev_user_at: OptionalTime;
  next_user_at: OptionalTime;
  prev_pair_at: OptionalTime;
  next_pair_at: OptionalTime;
}

/**
 * Reads per channel, key kind (READ_KINDS), UTC day and UTC day of the previous read of the same
 * key (NO_DAY: none): a distinct count over whole days sums the cells whose previous day is before
 * the window.
 */
export interface ReportReadDaysTable {
  channel_id: number;
  kind: number;
  day: number;
  prev_day: number;
  n: number;
}

export interface AlertsTable {
  id: Generated<number>;
  account_id: number;
  report_id: number;
  channel_id: number;
  created_at: number;
}

export interface AlertDeliveriesTable {
  id: Generated<number>;
  alert_id: number;
  report_id: number;
  channel_id: number;
  user_id: number;
  sent_at: number;
  /** The previous delivery of the same alert to the same user (null: this is the first). */
  prev_alert_at: OptionalTime;
  /** The previous delivery of an alert of the same report to the same user. */
  prev_report_at: OptionalTime;
  /** 1 when the user has opened the alert (at any time). */
  opened: Generated<number>;
}

export interface AlertOpensTable {
  id: Generated<number>;
  alert_id: number;
  user_id: number;
  opened_at: number;
}

/** Reports per channel per 15-minute UTC bucket (floor(created_at / 900,000)). */
export interface ReportCountsTable {
  channel_id: number;
  /** Granularity: the bucket is created_at / (900,000 × LEVEL_SIZES[level]). */
  level: number;
  bucket: number;
  total: number;
}
export interface ReportStateCountsTable extends ReportCountsTable {
  state_id: number;
}
export interface ReportUserCountsTable extends ReportCountsTable {
  user_id: number;
}
/** Packed counts per key of a channel's wide bucket (src/reports/counts/count-maps.ts). */
export interface ReportCountMapsTable {
  channel_id: number;
  /** MAP_KIND: 0 hour of the week, 1 user. */
  kind: number;
  level: number;
  bucket: number;
  /** (key, count) pairs by key, packed (reports/counts/map-codec.ts). */
  counts: Buffer;
  /** Drawn anew at every write of the map, never twice (migration 0032). */
  stamp: Generated<number>;
}
export interface ReportOptionCountsTable {
  field_id: number;
  level: number;
  bucket: number;
  option_id: number;
  total: number;
}
