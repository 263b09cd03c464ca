import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

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
}

export interface RecordingRoomDaysTable {
  account_id: number;
  room_id: string;
  /** floor(creation_time / 86400): the UTC day. */
  day: number;
  total: number;
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
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;

export type RecordingRow = Selectable<RecordingsTable>;
export type NewRecording = Insertable<RecordingsTable>;
