import { sql, type Kysely } from 'kysely';
import { bulkInsertValues } from '../dialect.js';

/**
 * Count maps change from int32 (key, count) pairs to zigzag varints of key differences and counts
 * (src/reports/counts/map-codec.ts): about a third of the bytes (the bench's 5M reports: 206 →
 * 62 MB of maps). Both formats are spelled out here, as they stand in this migration, so that a
 * later format does not change what it does. Maps are rewritten in key order, 5,000 at a time.
 */
const BATCH = 5_000;

type MapRow = { channel_id: number; kind: number; level: number; bucket: number; counts: Uint8Array };

export async function up(db: Kysely<unknown>): Promise<void> {
  let after: MapRow | undefined;
  for (;;) {
    const { rows }: { rows: MapRow[] } = await sql<MapRow>`
      select channel_id, kind, level, bucket, counts from report_count_maps
      ${after ? sql`where (channel_id, kind, level, bucket) > (${after.channel_id}, ${after.kind}, ${after.level}, ${after.bucket})` : sql``}
      order by channel_id, kind, level, bucket limit ${BATCH}`.execute(db);
    if (rows.length === 0) return;
    const values: unknown[] = [];
    for (const row of rows) values.push(row.channel_id, row.kind, row.level, row.bucket, varintPairs(row.counts));
    await bulkInsertValues(
      db,
      'report_count_maps',
      ['channel_id', 'kind', 'level', 'bucket', 'counts'],
      values,
      'on conflict (channel_id, kind, level, bucket) do update set counts = excluded.counts',
    );
    after = rows.at(-1);
  }
}

/** Int32 little-endian (key, count) pairs, by key, as zigzag LEB128 (key − previous key, count). */
function varintPairs(int32Pairs: Uint8Array): Buffer {
  const view = new DataView(int32Pairs.buffer, int32Pairs.byteOffset, int32Pairs.byteLength);
  const out = Buffer.allocUnsafe(int32Pairs.length * 2);
  let at = 0;
  let previous = 0;
  const write = (value: number) => {
    let rest = value >= 0 ? value * 2 : -value * 2 - 1;
    while (rest >= 128) {
      out[at++] = (rest % 128) + 128;
      rest = Math.floor(rest / 128);
    }
    out[at++] = rest;
  };
  for (let i = 0; i + 8 <= int32Pairs.length; i += 8) {
    const key = view.getInt32(i, true);
    write(key - previous);
    write(view.getInt32(i + 4, true));
    previous = key;
  }
  return Buffer.from(out.subarray(0, at));
}
