import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * The per-state, per-user and per-option counts are kept per hour at the finest instead of per
 * quarter hour (see KEYED_LEVELS): hour rows (level 1) summed from the quarter-hour rows, which
 * are then dropped. The day and wider rows are unchanged.
 */
const TABLES: [string, string, string][] = [
  ['report_state_counts', 'channel_id', 'state_id'],
  ['report_user_counts', 'channel_id', 'user_id'],
  ['report_option_counts', 'field_id', 'option_id'],
];

export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  for (const [table, owner, key] of TABLES) {
    await sql
      .raw(
        `insert into ${table} (${owner}, level, bucket, ${key}, total) select ${owner}, 1, bucket / 4, ${key}, sum(total) from ${table} where level = 0 group by ${owner}, bucket / 4, ${key}`,
      )
      .execute(db);
    await sql.raw(`delete from ${table} where level = 0`).execute(db);
  }
}
