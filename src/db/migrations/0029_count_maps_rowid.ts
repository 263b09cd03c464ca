import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * SQLite: count maps move from a WITHOUT ROWID table to an ordinary one with its key as a separate
 * index. A map of 500 users is ~4 KB; in a WITHOUT ROWID table the whole row is the B-tree key, so
 * every seek compared keys whose records spilled onto overflow pages and read those pages to do so
 * (SQLite's own advice: WITHOUT ROWID for rows under about 1/20 of a page). Reading a hot
 * channel-year's 27 user maps took ~290 µs, ~60 µs now. PostgreSQL keeps its heap table and key.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  if (engine !== 'sqlite') return;
  await sql`create table report_count_maps_rowid (
    channel_id bigint not null,
    kind integer not null,
    level integer not null,
    bucket bigint not null,
    counts blob not null,
    constraint report_count_maps_pkey primary key (channel_id, kind, level, bucket))`.execute(db);
  await sql`insert into report_count_maps_rowid (channel_id, kind, level, bucket, counts)
    select channel_id, kind, level, bucket, counts from report_count_maps
    order by channel_id, kind, level, bucket`.execute(db);
  await sql`drop table report_count_maps`.execute(db);
  await sql`alter table report_count_maps_rowid rename to report_count_maps`.execute(db);
}
