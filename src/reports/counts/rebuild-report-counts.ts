import { sql, type Kysely } from 'kysely';
import { jsonIntegerElements } from '../../db/dialect.js';
import type { Database } from '../../db/schema.js';
import { rebuildDistinctCounts } from '../distinct/rebuild.js';
import { CHANNEL_TOTAL_SOURCES } from '../repository.js';
import { rebuildCountMaps } from './count-maps.js';
import { BUCKET_MS, LEVEL_SIZES, LEVELS_OF, type CountTable } from './levels.js';

/**
 * Recomputes every pre-aggregated count and distinct-count structure from the raw rows (bulk loads
 * write rows without going through insertReport; this brings them in line in one pass per table).
 */
export async function rebuildReportCounts(db: Kysely<Database>): Promise<void> {
  // One row per selected option: its field, its id and its report's time.
  const option = jsonIntegerElements(db, 'r.option_ids', 'j');
  const selections = `(select o.field_id, o.id as option_id, r.created_at from reports r cross join ${option.from} join field_options o on o.id = ${option.value} where r.option_ids is not null) as s`;
  const sources: [CountTable, string, string[], string][] = [
    ['report_counts', 'channel_id', [], 'reports'],
    ['report_state_counts', 'channel_id', ['state_id'], 'reports where state_id is not null'],
    ['report_user_counts', 'channel_id', ['user_id'], 'reports'],
    ['report_option_counts', 'field_id', ['option_id'], selections],
  ];
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('report_channel_totals').execute();
    await sql`insert into report_channel_totals (channel_id, account_id) select id, account_id from channels`.execute(
      trx,
    );
    for (const [column, [source, aggregate]] of Object.entries(CHANNEL_TOTAL_SOURCES)) {
      await sql
        .raw(
          `update report_channel_totals set ${column} = s.n from (select channel_id, ${aggregate} as n from ${source} group by channel_id) as s where s.channel_id = report_channel_totals.channel_id`,
        )
        .execute(trx);
    }
    // The counts change without a write to the tables the read cache's triggers watch.
    for (const scope of ['c:', 'cr:', 'ca:'])
      await sql`insert into cache_versions (scope, version) select ${sql.lit(scope)} || id, 1 from channels where true on conflict (scope) do update set version = cache_versions.version + 1`.execute(
        trx,
      );
    await rebuildDistinctCounts(trx);
    for (const [table, owner, keys, source] of sources) {
      await trx.deleteFrom(table).execute();
      const columns = [owner, ...keys].join(', ');
      for (const level of LEVELS_OF[table]) {
        const bucket = `created_at / ${BUCKET_MS * LEVEL_SIZES[level]!}`;
        await sql
          .raw(
            `insert into ${table} (${columns}, level, bucket, total) select ${columns}, ${level}, ${bucket}, count(*) from ${source} group by ${columns}, ${bucket}`,
          )
          .execute(trx);
      }
    }
    await rebuildCountMaps(trx);
  });
}
