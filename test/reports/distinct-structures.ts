import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';

/**
 * What the distinct counts keep, in key order: every read's and delivery's links, the day cells
 * and the count maps (compared with what rebuildReportCounts recomputes from
 * the raw rows).
 */
export async function distinctStructures(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  const queries = {
    report_reads:
      'select id, prev_report_at, next_report_at, prev_user_at, next_user_at, prev_pair_at, next_pair_at from report_reads order by id',
    report_read_days:
      'select channel_id, kind, day, prev_day, n from report_read_days order by channel_id, kind, day, prev_day',
    alert_deliveries: 'select id, prev_alert_at, prev_report_at, opened from alert_deliveries order by id',
    report_count_maps:
      'select channel_id, kind, level, bucket, counts from report_count_maps order by channel_id, kind, level, bucket',
  };
  const out: Record<string, unknown[]> = {};
  for (const [name, query] of Object.entries(queries)) {
    const { rows } = await sql.raw(query).execute(db);
    out[name] = rows.map((row) =>
      Object.values(row as object).map((v) =>
        v === null ? null : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : Number(v),
      ),
    );
  }
  return out;
}
