import { sql, type Kysely } from 'kysely';
import { channelMaps } from './0024_report_count_maps.js';

/**
 * Delivery maps: alert deliveries per recipient (kind 2) and opened deliveries per recipient
 * (kind 3), in the count maps of 0024 (per channel and UTC day, 8 and 32 days), so user_awareness
 * sums a year's whole days from ~60 rows instead of walking every recipient's deliveries.
 */
const DAY = 86_400_000;
const LEVELS: Record<number, number> = { 2: 1, 4: 8, 3: 32 }; // level → days, as of now

export async function up(db: Kysely<unknown>): Promise<void> {
  const channels = await sql<{ channel_id: number }>`select distinct channel_id from alert_deliveries`.execute(db);
  for (const { channel_id: channelId } of channels.rows) {
    const { add, insert } = channelMaps(db, Number(channelId));
    const days = await sql<{ user_id: number; day: number; n: number; opened: number }>`
      select user_id, sent_at / ${sql.lit(DAY)} as day, count(*) as n, sum(opened) as opened
      from alert_deliveries where channel_id = ${channelId} group by user_id, sent_at / ${sql.lit(DAY)}`.execute(db);
    for (const row of days.rows)
      for (const [level, width] of Object.entries(LEVELS)) {
        const bucket = Math.floor(Number(row.day) / width);
        add(2, Number(level), bucket, Number(row.user_id), Number(row.n));
        if (Number(row.opened) > 0) add(3, Number(level), bucket, Number(row.user_id), Number(row.opened));
      }
    await insert();
  }
}
