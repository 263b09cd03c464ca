import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * A UTC-day level (2, 96 quarter hours) for the channel totals, filled from the hour rows. Week
 * and month buckets of reports_over_time read the UTC days wholly inside a bucket as day rows and
 * only the hours at its ends as hour rows: a year of weeks on a hot channel is ~1,600 rows instead
 * of 8,760.
 */
export async function up(db: Kysely<unknown>, _engine: Engine): Promise<void> {
  await sql`insert into report_counts (channel_id, level, bucket, total) select channel_id, 2, bucket / 24, sum(total) from report_counts where level = 1 group by channel_id, bucket / 24`.execute(
    db,
  );
}
