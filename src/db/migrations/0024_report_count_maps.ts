import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull } from '../dialect.js';

/**
 * Count maps (src/reports/counts/count-maps.ts): per channel, kind and wide bucket (UTC day, 8 or
 * 32 days), every key's count packed in one row, so a year per hour of the week or per user is ~30
 * rows. Built from the count tables, a channel at a time: the hour rows of the channel totals give
 * the hours of the week; the per-user rows of those levels are the user maps as they stand.
 */
const LEVELS: Record<number, number> = { 2: 96, 4: 8 * 96, 3: 32 * 96 }; // level → quarter hours, as of now

/** A map as stored: (key, count) pairs of little-endian int32, by key. Shared with 0025. */
export function encode(counts: Map<number, number>): Buffer {
  const keys = [...counts.keys()].filter((k) => counts.get(k) !== 0).sort((a, b) => a - b);
  const buffer = Buffer.alloc(keys.length * 8);
  keys.forEach((key, i) => {
    buffer.writeInt32LE(key, i * 8);
    buffer.writeInt32LE(counts.get(key)!, i * 8 + 4);
  });
  return buffer;
}

export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  let table = db.schema
    .createTable('report_count_maps')
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('kind', 'integer', notNull)
    .addColumn('level', 'integer', notNull)
    .addColumn('bucket', 'bigint', notNull)
    .addColumn('counts', engine === 'sqlite' ? 'blob' : 'bytea', notNull)
    .addPrimaryKeyConstraint('report_count_maps_pkey', ['channel_id', 'kind', 'level', 'bucket'] as never);
  if (engine === 'sqlite') table = table.modifyEnd(sql`without rowid`);
  await table.execute();

  const channels = await sql<{ id: number }>`select id from channels order by id`.execute(db);
  for (const { id } of channels.rows) {
    const { add, insert } = channelMaps(db, id);
    const hours = await sql<{ bucket: number; total: number }>`
      select bucket, total from report_counts where channel_id = ${id} and level = 1`.execute(db);
    for (const row of hours.rows) {
      const hour = Number(row.bucket);
      for (const [level, size] of Object.entries(LEVELS))
        add(0, Number(level), Math.floor((hour * 4) / size), hour % 168, Number(row.total));
    }
    const users = await sql<{ level: number; bucket: number; user_id: number; total: number }>`
      select level, bucket, user_id, total from report_user_counts where channel_id = ${id} and level in (2, 3, 4)`.execute(
      db,
    );
    for (const row of users.rows) add(1, Number(row.level), Number(row.bucket), Number(row.user_id), Number(row.total));
    await insert();
  }
}

/** One channel's maps being built: counts added by kind, level, bucket and key, then inserted. Shared with 0025. */
export function channelMaps(db: Kysely<unknown>, channelId: number) {
  const maps = new Map<string, Map<number, number>>();
  return {
    add(kind: number, level: number, bucket: number, key: number, n: number) {
      const id = `${kind}:${level}:${bucket}`;
      let map = maps.get(id);
      if (!map) maps.set(id, (map = new Map()));
      map.set(key, (map.get(key) ?? 0) + n);
    },
    async insert() {
      const rows = [...maps].map(([key, counts]) => [channelId, ...key.split(':').map(Number), encode(counts)]);
      for (let start = 0; start < rows.length; start += 200) {
        const chunk = rows.slice(start, start + 200).map((row) => sql`(${sql.join(row)})`);
        await sql`insert into report_count_maps (channel_id, kind, level, bucket, counts) values ${sql.join(chunk)}`.execute(
          db,
        );
      }
    },
  };
}
