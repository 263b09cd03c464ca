import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * Count maps get a stamp, drawn anew every time a map is written and never drawn twice (a
 * PostgreSQL sequence; SQLite's sqlite_sequence row of the same name, see nextCounterValue). A
 * reader that has decoded a map keeps it by row and stamp and, next time, reads only the stamps,
 * from an index, instead of every map's bytes (src/reports/counts/map-reads.ts). Maps written
 * before this migration have stamp 0.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .alterTable('report_count_maps')
    .addColumn('stamp', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('report_count_maps_stamps_idx')
    .on('report_count_maps')
    .columns(['channel_id', 'kind', 'level', 'bucket', 'stamp'])
    .execute();
  if (engine === 'postgres') await sql`create sequence report_count_map_stamps`.execute(db);
}
