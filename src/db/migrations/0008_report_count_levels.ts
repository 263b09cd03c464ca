import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull } from '../dialect.js';

/**
 * Report counts at several granularities ("levels", each a number of 15-minute buckets): the
 * per-state, per-user and per-option counts also per UTC day and per 32 days, the channel totals
 * also per hour. A year of a hot channel is then a dozen 32-day rows plus a few days and quarter
 * hours at its edges, instead of 35,040 quarter-hour rows. Recreated, then filled from the raw
 * rows for every level.
 */
/** Level number → its width in 15-minute buckets (as of this migration). */
const SIZES = [1, 4, 96, 3072];
const TABLES: [string, string, string[], number[], string][] = [
  ['report_counts', 'channel_id', [], [0, 1], 'reports'],
  ['report_state_counts', 'channel_id', ['state_id'], [0, 2, 3], 'reports where state_id is not null'],
  ['report_user_counts', 'channel_id', ['user_id'], [0, 2, 3], 'reports'],
  ['report_option_counts', 'field_id', ['option_id'], [0, 2, 3], 'report_selections'],
];

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  for (const [table, owner, keys, levels, source] of TABLES) {
    await db.schema.dropTable(table).execute();
    let builder = db.schema
      .createTable(table)
      .addColumn(owner, 'bigint', notNull)
      .addColumn('level', 'integer', notNull)
      .addColumn('bucket', 'bigint', notNull);
    for (const key of keys) builder = builder.addColumn(key, 'bigint', notNull);
    builder = builder
      .addColumn('total', 'bigint', notNull)
      .addPrimaryKeyConstraint(`${table}_pkey`, [owner, 'level', 'bucket', ...keys] as never);
    if (engine === 'sqlite') builder = builder.modifyEnd(sql`without rowid`);
    await builder.execute();
    for (const level of levels) {
      const bucket = `created_at / ${900_000 * SIZES[level]!}`;
      const columns = [owner, ...keys].join(', ');
      await sql
        .raw(
          `insert into ${table} (${columns}, level, bucket, total) select ${columns}, ${level}, ${bucket}, count(*) from ${source} group by ${columns}, ${bucket}`,
        )
        .execute(db);
    }
  }
}
