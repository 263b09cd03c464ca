import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { Engine } from './connection.js';
import { dialectOf } from './dialect.js';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001_identities.js';
import * as m0002 from './migrations/0002_recordings.js';
import * as m0003 from './migrations/0003_recording_counters.js';
import * as m0004 from './migrations/0004_statistics.js';
import * as m0005 from './migrations/0005_session_analytics.js';
import * as m0006 from './migrations/0006_reports.js';
import * as m0007 from './migrations/0007_report_counts.js';
import * as m0008 from './migrations/0008_report_count_levels.js';
import * as m0009 from './migrations/0009_read_indexes.js';
import * as m0010 from './migrations/0010_report_images.js';
import * as m0011 from './migrations/0011_report_channel_totals.js';
import * as m0012 from './migrations/0012_report_count_eight_days.js';
import * as m0013 from './migrations/0013_report_count_days.js';
import * as m0014 from './migrations/0014_report_values_inline.js';
import * as m0015 from './migrations/0015_report_keyed_hours.js';
import * as m0016 from './migrations/0016_account_file_layout.js';
import * as m0017 from './migrations/0017_session_webhook_url.js';
import * as m0018 from './migrations/0018_webhooks.js';
import * as m0019 from './migrations/0019_trash.js';
import * as m0020 from './migrations/0020_retention.js';
import * as m0021 from './migrations/0021_cache_versions.js';
import * as m0022 from './migrations/0022_distinct_counts.js';
import * as m0023 from './migrations/0023_awareness_repeats.js';
import * as m0024 from './migrations/0024_report_count_maps.js';
import * as m0025 from './migrations/0025_delivery_maps.js';
import * as m0026 from './migrations/0026_report_images_covering.js';
import * as m0027 from './migrations/0027_drop_alert_recipients.js';
import * as m0028 from './migrations/0028_covering_count_keys.js';
import * as m0029 from './migrations/0029_count_maps_rowid.js';
import * as m0030 from './migrations/0030_count_maps_varint.js';
import * as m0031 from './migrations/0031_room_events_without_session_key.js';
import * as m0032 from './migrations/0032_count_map_stamps.js';

/** What a migration may touch besides the database: the stored files (RECAP_DATA_DIR/files). */
export interface MigrationContext {
  storageRoot: string;
}

type EngineMigration = { up(db: Kysely<unknown>, engine: Engine, context: MigrationContext): Promise<void> };

/**
 * Numbered migrations, in order. Listed here rather than read from the directory so that they work
 * the same from TypeScript sources (tests) and compiled output (production).
 */
const MIGRATIONS: Record<string, EngineMigration> = {
  '0001_identities': m0001,
  '0002_recordings': m0002,
  '0003_recording_counters': m0003,
  '0004_statistics': m0004,
  '0005_session_analytics': m0005,
  '0006_reports': m0006,
  '0007_report_counts': m0007,
  '0008_report_count_levels': m0008,
  '0009_read_indexes': m0009,
  '0010_report_images': m0010,
  '0011_report_channel_totals': m0011,
  '0012_report_count_eight_days': m0012,
  '0013_report_count_days': m0013,
  '0014_report_values_inline': m0014,
  '0015_report_keyed_hours': m0015,
  '0016_account_file_layout': m0016,
  '0017_session_webhook_url': m0017,
  '0018_webhooks': m0018,
  '0019_trash': m0019,
  '0020_retention': m0020,
  '0021_cache_versions': m0021,
  '0022_distinct_counts': m0022,
  '0023_awareness_repeats': m0023,
  '0024_report_count_maps': m0024,
  '0025_delivery_maps': m0025,
  '0026_report_images_covering': m0026,
  '0027_drop_alert_recipients': m0027,
  '0028_covering_count_keys': m0028,
  '0029_count_maps_rowid': m0029,
  '0030_count_maps_varint': m0030,
  '0031_room_events_without_session_key': m0031,
  '0032_count_map_stamps': m0032,
};

export const LATEST_MIGRATION = Object.keys(MIGRATIONS).at(-1) ?? '';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Brings the schema up to date. Idempotent. Safe with several instances starting at once: Kysely
 * holds a PostgreSQL advisory lock (SQLite: the database write lock) while it migrates.
 */
export async function migrateToLatest(db: Kysely<Database>, context: MigrationContext): Promise<string[]> {
  return migrateTo(db, LATEST_MIGRATION, context);
}

/** Applies the migrations up to and including `target` (tests of data-moving migrations start before one). */
export async function migrateTo(db: Kysely<Database>, target: string, context: MigrationContext): Promise<string[]> {
  const engine = dialectOf(db);
  if (!Object.hasOwn(MIGRATIONS, target)) throw new MigrationError(`no migration named ${target}`);
  // Kysely looks for its own tables in every schema unless told which: another schema's
  // kysely_migration (another app, or another Recap) would fool it. Pin them to ours.
  const schema =
    engine === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    ...(schema ? { migrationTableSchema: schema } : {}),
    // Migrations see the schema as it was when they were written, not today's table types.
    db: db as unknown as Kysely<unknown>,
    provider: {
      getMigrations: async () =>
        Object.fromEntries(
          Object.entries(MIGRATIONS).map(([name, m]): [string, Migration] => [
            name,
            { up: (trx) => m.up(trx, engine, context) },
          ]),
        ),
    },
  });
  const { error, results }: MigrationResultSet = await migrator.migrateTo(target);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(`migration ${failed ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
