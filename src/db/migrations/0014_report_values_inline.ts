import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';

/**
 * A report's field values move into its own row: `field_values`, the JSON object of its
 * non-choice values by field id, and `option_ids`, the JSON array of its selected options. They
 * were rows of two tables (report_values; report_selections with an index by field and time), so
 * a report with a choice and a text field was six B-tree inserts besides its own two, and an
 * import spent more time in them than in the report. Nothing reads values by field: the counts
 * per option are pre-aggregated, and the few reports at a window's edges are read by channel and
 * time like every other count's edges.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await sql`alter table reports add column field_values text`.execute(db);
  await sql`alter table reports add column option_ids text`.execute(db);
  if (engine === 'sqlite') {
    await sql`update reports set field_values = v.j
      from (select report_id, json_group_object(cast(field_id as text), json(value)) as j from report_values group by report_id) as v
      where v.report_id = reports.id`.execute(db);
    await sql`update reports set option_ids = s.j
      from (select report_id, json_group_array(option_id) as j from report_selections group by report_id) as s
      where s.report_id = reports.id`.execute(db);
  } else {
    await sql`update reports set field_values = v.j
      from (select report_id, json_object_agg(field_id, value::json)::text as j from report_values group by report_id) as v
      where v.report_id = reports.id`.execute(db);
    await sql`update reports set option_ids = s.j
      from (select report_id, json_agg(option_id order by option_id)::text as j from report_selections group by report_id) as s
      where s.report_id = reports.id`.execute(db);
  }
  await sql`drop table report_values`.execute(db);
  await sql`drop table report_selections`.execute(db);
}
