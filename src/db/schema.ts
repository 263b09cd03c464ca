import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type {
  AlertDeliveriesTable,
  AlertOpensTable,
  AlertsTable,
  FieldOptionsTable,
  FormFieldsTable,
  FormsTable,
  NamedTable,
  ReportChannelTotalsTable,
  ReportCountsTable,
  ReportImagesTable,
  ReportOptionCountsTable,
  ReportCountMapsTable,
  ReportReadDaysTable,
  ReportReadsTable,
  ReportStateCountsTable,
  ReportsTable,
  ReportUserCountsTable,
} from './report-tables.js';

export * from './report-tables.js';

/**
 * Table types for Kysely. Conventions, the same on both engines:
 * - ids are 64-bit integers (SQLite INTEGER, PostgreSQL BIGINT parsed as a JS number);
 * - instants are unix milliseconds in BIGINT columns (`*_at`), so arithmetic and bucketing are
 *   engine-independent;
 * - booleans are 0/1 SMALLINT/INTEGER, since SQLite has no boolean type.
 */
export interface AccountsTable {
  id: Generated<number>;
  name: string;
  created_at: number;
}

export interface UsersTable {
  id: Generated<number>;
  account_id: number;
  username: string;
  first_name: string;
  last_name: string;
  /** scrypt hash in PHC-like form; null for users who cannot log in with a password. */
  password_hash: string | null;
  /** JSON array of role names. */
  roles: string;
  active: ColumnType<number, number | undefined, number>;
  created_at: number;
  last_login_at: number | null;
}

export interface UserTokensTable {
  id: Generated<number>;
  user_id: number;
  /** base64 SHA-256 of the token (as Rocket.Chat stores them); the token itself is never stored. */
  token_hash: string;
  created_at: number;
  expires_at: number;
  /** `login` or `cli`. */
  origin: string;
}

export interface ApiKeysTable {
  id: Generated<number>;
  account_id: number;
  api_key: string;
  /**
   * The shared HMAC secret. It must be recoverable to verify signatures (plugNmeet HASH-SIGNATURE,
   * LiveKit webhook JWTs), so unlike passwords and tokens it cannot be stored as a hash.
   */
  api_secret: string;
  description: string;
  created_at: number;
  revoked_at: number | null;
}

/** Instance-wide values (unique id, installation time). */
export interface InstanceSettingsTable {
  key: string;
  value: string;
}

export interface RecordingsTable {
  id: Generated<number>;
  account_id: number;
  record_id: string;
  room_id: string;
  room_sid: string;
  room_title: string;
  /** Relative to the recordings directory (RECAP_DATA_DIR/files/recordings). */
  file_path: string;
  file_size: number;
  /** Unix seconds, as plugNmeet reports them. */
  creation_time: number;
  room_creation_time: number;
  /** JSON: {title, description, subtitles, extra_data}. */
  metadata: string;
  created_at: number;
}

export interface RecordingRoomTotalsTable {
  account_id: number;
  room_id: string;
  total: number;
  /** Bytes of the room's recordings (file_size summed). */
  total_size: Generated<number>;
}

export interface RecordingRoomDaysTable {
  account_id: number;
  room_id: string;
  /** floor(creation_time / 86400): the UTC day. */
  day: number;
  total: number;
}

export interface RecordingRoomSpansTable {
  account_id: number;
  room_id: string;
  /** floor(day / 32): a 32-day span of UTC days. */
  span: number;
  total: number;
}

export interface StatisticsSnapshotsTable {
  /** 24 hex characters, like a MongoDB ObjectId (Rocket.Chat's `_id`). */
  id: string;
  created_at: number;
  /** The snapshot document as JSON, returned as stored. */
  document: string;
}

export interface InstancesTable {
  id: string;
  started_at: number;
  last_seen_at: number;
}

export interface RoomSessionsTable {
  id: Generated<number>;
  account_id: number;
  room_id: string;
  room_sid: string;
  room_title: string;
  /** open → ended (file to write) → closed. */
  state: 'open' | 'ended' | 'closed';
  /** Unix ms of the first event. */
  started_at: number;
  /** Time of the latest event (event clock). */
  last_event_at: number;
  /** When the latest event arrived (server clock): idleness is judged on it. */
  last_seen_at: number;
  ended_at: number | null;
  /** The webhook URL the session's events named ('' when none): plugNmeet's per-room webhook_url. */
  webhook_url: ColumnType<string, string | undefined, string>;
  /** When retention deleted the session's raw events (null: they are kept). */
  events_purged_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** Distinct users who joined, kept when the events that counted them were deleted (null: count them). */
  joined_participants: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface RoomEventsTable {
  id: Generated<number>;
  account_id: number;
  session_id: number;
  /** The sender's id for the event (dedupe), when given. */
  event_id: string | null;
  event: string;
  /** Unix ms. */
  time: number;
  user_id: string | null;
  name: string | null;
  is_admin: number | null;
  ex_user_id: string | null;
  value: string | null;
}

export interface AnalyticsFilesTable {
  id: Generated<number>;
  account_id: number;
  file_id: string;
  room_id: string;
  room_sid: string;
  file_name: string;
  /** Relative to the analytics directory of the storage root. */
  file_path: string;
  file_size: number;
  /** Unix seconds. */
  creation_time: number;
  room_creation_time: number;
  created_at: number;
}

export interface AnalyticsRoomTotalsTable {
  account_id: number;
  room_id: string;
  total: number;
  total_size: number;
}

export interface WebhookSettingsTable {
  account_id: number;
  /** The account's default URL ('' when none): every event of the account goes there. */
  url: ColumnType<string, string | undefined, string>;
  /** The API key whose secret signs deliveries; null: the account's oldest active key. */
  signing_api_key: string | null;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  account_id: number;
  /** The event's id: every URL an event goes to gets the same body. */
  event_id: string;
  event: string;
  url: string;
  /** The URL's host: the worker limits connections per host, so a dead one never holds them all. */
  host: string;
  /** The JSON body exactly as it is sent (and hashed into the signature). */
  body: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  /** When a pending row is due; a claim moves it forward by the lease. */
  next_attempt_at: number;
  /** Who holds the row while it is sent; only that holder records the outcome. */
  claim: string | null;
  created_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export interface TrashTable {
  id: Generated<number>;
  account_id: number;
  kind: 'recording' | 'analytics';
  /** The record_id or file_id: taken while trashed. */
  object_id: string;
  /** The live row as JSON. */
  row: string;
  trashed_at: number;
  purge_at: number;
}

/** An account's own retention periods in days (null: the installation's default; 0: forever). */
export interface RetentionSettingsTable {
  account_id: number;
  room_events_days: number | null;
  analytics_files_days: number | null;
  recordings_days: number | null;
  reports_days: number | null;
  updated_at: number;
}

/** Read-cache scope versions, bumped by triggers (migration 0021; src/db/read-cache.ts). */
export interface CacheVersionsTable {
  scope: string;
  version: number;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  user_tokens: UserTokensTable;
  api_keys: ApiKeysTable;
  instance_settings: InstanceSettingsTable;
  recordings: RecordingsTable;
  recording_room_totals: RecordingRoomTotalsTable;
  recording_room_days: RecordingRoomDaysTable;
  recording_room_spans: RecordingRoomSpansTable;
  statistics_snapshots: StatisticsSnapshotsTable;
  instances: InstancesTable;
  room_sessions: RoomSessionsTable;
  room_events: RoomEventsTable;
  analytics_files: AnalyticsFilesTable;
  analytics_room_totals: AnalyticsRoomTotalsTable;
  channels: NamedTable;
  states: NamedTable;
  forms: FormsTable;
  form_fields: FormFieldsTable;
  field_options: FieldOptionsTable;
  reports: ReportsTable;
  report_reads: ReportReadsTable;
  report_read_days: ReportReadDaysTable;
  report_images: ReportImagesTable;
  report_channel_totals: ReportChannelTotalsTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_opens: AlertOpensTable;
  report_counts: ReportCountsTable;
  report_state_counts: ReportStateCountsTable;
  report_user_counts: ReportUserCountsTable;
  report_option_counts: ReportOptionCountsTable;
  report_count_maps: ReportCountMapsTable;
  webhook_settings: WebhookSettingsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  trash: TrashTable;
  retention_settings: RetentionSettingsTable;
  cache_versions: CacheVersionsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;

export type RecordingRow = Selectable<RecordingsTable>;
export type NewRecording = Insertable<RecordingsTable>;

export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
