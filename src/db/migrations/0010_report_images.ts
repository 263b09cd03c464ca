import { type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull, withIdColumn } from '../dialect.js';

/**
 * Images attached to reports. `report_created_at` and `channel_id` are copied from the report so
 * that reports_images reads one index range in answer order: (channel, report time, id).
 * `path` is the directory of the stored variants, relative to the file storage root.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await withIdColumn(db.schema.createTable('report_images'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('report_id', 'bigint', (c) => c.notNull().references('reports.id'))
    .addColumn('report_created_at', 'bigint', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .addColumn('path', 'text', notNull)
    .addColumn('format', 'text', notNull)
    .addColumn('width', 'integer', notNull)
    .addColumn('height', 'integer', notNull)
    .addColumn('bytes', 'bigint', notNull)
    .execute();
  await db.schema
    .createIndex('report_images_channel_idx')
    .on('report_images')
    .columns(['channel_id', 'report_created_at', 'id'])
    .execute();
  await db.schema.createIndex('report_images_report_idx').on('report_images').columns(['report_id']).execute();
}
