import { sql, type Kysely } from 'kysely';

/**
 * Delivery maps: alert deliveries per recipient (kind 2) and opened deliveries per recipient
 * (kind 3), in the count maps of 0024 (per channel and UTC day, 8 and 32 days), so user_awareness
 * sums a year's whole days from ~60 rows instead of walking every recipient's deliveries.
 */
const DAY = 86_400_000;
const LEVELS: Record<number, number> = { 2: 1, 4: 8, 3: 32 }; // level → days, as of now

function encode(counts: Map<number, number>): Buffer {
  const keys = [...counts.keys()].filter((k) => counts.get(k) !== 0).sort((a, b) => a - b);
  const buffer = Buffer.alloc(keys.length * 8);
  keys.forEach((key, i) => {
    buffer.writeInt32LE(key, i * 8);
    buffer.writeInt32LE(counts.get(key)!, i * 8 + 4);
  });
  return buffer;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const channels = await sql<{ channel_id: number }>`select distinct channel_id from alert_deliveries`.execute(db);
  for (const { channel_id: channelId } of channels.rows) {
    const maps = new Map<string, Map<number, number>>();
    const add = (kind: number, level: number, bucket: number, key: number, n: number) => {
      const id = `${kind}:${level}:${bucket}`;
      let map = maps.get(id);
      if (!map) maps.set(id, (map = new Map()));
      map.set(key, (map.get(key) ?? 0) + n);
    };
    const days = await sql<{ user_id: number; day: number; n: number; opened: number }>`
      select user_id, sent_at / ${sql.lit(DAY)} as day, count(*) as n, sum(opened) as opened
      from alert_deliveries where channel_id = ${channelId} group by user_id, sent_at / ${sql.lit(DAY)}`.execute(db);
    for (const row of days.rows)
      for (const [level, width] of Object.entries(LEVELS)) {
        const bucket = Math.floor(Number(row.day) / width);
        add(2, Number(level), bucket, Number(row.user_id), Number(row.n));
        if (Number(row.opened) > 0) add(3, Number(level), bucket, Number(row.user_id), Number(row.opened));
      }
    const rows = [...maps].map(([key, counts]) => [Number(channelId), ...key.split(':').map(Number), encode(counts)]);
    for (let start = 0; start < rows.length; start += 200) {
      const chunk = rows.slice(start, start + 200).map((row) => sql`(${sql.join(row)})`);
      await sql`insert into report_count_maps (channel_id, kind, level, bucket, counts) values ${sql.join(chunk)}`.execute(
        db,
      );
    }
  }
}
