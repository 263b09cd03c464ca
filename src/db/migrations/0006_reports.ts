import { type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull, withIdColumn } from '../dialect.js';

/**
 * Reports v4 data: channels and states per account; forms of a channel with typed fields and
 * choice options; reports with their field values (choices in report_selections, one row per
 * selected option, everything else in report_values); reads; alerts with repeated deliveries and
 * opens. Every row that analytics filter by time carries its channel and instant, so each question
 * is one range of one index.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  const accountRef = 'accounts.id';
  await withIdColumn(db.schema.createTable('channels'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references(accountRef))
    .addColumn('name', 'text', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .execute();
  await db.schema.createIndex('channels_account_idx').on('channels').columns(['account_id', 'id']).execute();

  await withIdColumn(db.schema.createTable('states'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references(accountRef))
    .addColumn('name', 'text', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .execute();

  await withIdColumn(db.schema.createTable('forms'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references(accountRef))
    .addColumn('channel_id', 'bigint', (c) => c.notNull().references('channels.id'))
    .addColumn('name', 'text', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .execute();
  await db.schema.createIndex('forms_channel_idx').on('forms').columns(['channel_id', 'id']).execute();

  await withIdColumn(db.schema.createTable('form_fields'), engine)
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('form_id', 'bigint', (c) => c.notNull().references('forms.id'))
    .addColumn('name', 'text', notNull)
    .addColumn('field_type', 'text', notNull)
    .addColumn('position', 'integer', notNull)
    .execute();
  await db.schema.createIndex('form_fields_form_idx').on('form_fields').columns(['form_id', 'position']).execute();

  await withIdColumn(db.schema.createTable('field_options'), engine)
    .addColumn('field_id', 'bigint', (c) => c.notNull().references('form_fields.id'))
    .addColumn('name', 'text', notNull)
    .addColumn('value', 'text', notNull)
    .addColumn('position', 'integer', notNull)
    .execute();
  await db.schema
    .createIndex('field_options_value_key')
    .on('field_options')
    .unique()
    .columns(['field_id', 'value'])
    .execute();

  await withIdColumn(db.schema.createTable('reports'), engine)
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('channel_id', 'bigint', (c) => c.notNull().references('channels.id'))
    .addColumn('form_id', 'bigint', (c) => c.references('forms.id'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('state_id', 'bigint', (c) => c.references('states.id'))
    .addColumn('created_at', 'bigint', notNull)
    .execute();
  // Covering for counts in a window, per state and per user.
  await db.schema
    .createIndex('reports_channel_time_idx')
    .on('reports')
    .columns(['channel_id', 'created_at', 'state_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('report_values')
    .addColumn('report_id', 'bigint', (c) => c.notNull().references('reports.id').onDelete('cascade'))
    .addColumn('field_id', 'bigint', notNull)
    .addColumn('value', 'text', notNull)
    .addPrimaryKeyConstraint('report_values_pkey', ['report_id', 'field_id'])
    .execute();

  await db.schema
    .createTable('report_selections')
    .addColumn('report_id', 'bigint', (c) => c.notNull().references('reports.id').onDelete('cascade'))
    .addColumn('field_id', 'bigint', notNull)
    .addColumn('option_id', 'bigint', notNull)
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .addPrimaryKeyConstraint('report_selections_pkey', ['report_id', 'field_id', 'option_id'])
    .execute();
  await db.schema
    .createIndex('report_selections_field_time_idx')
    .on('report_selections')
    .columns(['field_id', 'created_at', 'option_id'])
    .execute();

  await withIdColumn(db.schema.createTable('report_reads'), engine)
    .addColumn('report_id', 'bigint', (c) => c.notNull().references('reports.id').onDelete('cascade'))
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('read_at', 'bigint', notNull)
    .execute();
  await db.schema
    .createIndex('report_reads_channel_time_idx')
    .on('report_reads')
    .columns(['channel_id', 'read_at', 'user_id', 'report_id'])
    .execute();

  await withIdColumn(db.schema.createTable('alerts'), engine)
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('report_id', 'bigint', (c) => c.notNull().references('reports.id').onDelete('cascade'))
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('created_at', 'bigint', notNull)
    .execute();
  await db.schema.createIndex('alerts_report_idx').on('alerts').columns(['report_id']).execute();

  await withIdColumn(db.schema.createTable('alert_deliveries'), engine)
    .addColumn('alert_id', 'bigint', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('report_id', 'bigint', notNull)
    .addColumn('channel_id', 'bigint', notNull)
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('sent_at', 'bigint', notNull)
    .execute();
  await db.schema
    .createIndex('alert_deliveries_channel_time_idx')
    .on('alert_deliveries')
    .columns(['channel_id', 'sent_at', 'user_id', 'alert_id', 'report_id'])
    .execute();

  await withIdColumn(db.schema.createTable('alert_opens'), engine)
    .addColumn('alert_id', 'bigint', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
    .addColumn('opened_at', 'bigint', notNull)
    .execute();
  await db.schema
    .createIndex('alert_opens_alert_user_idx')
    .on('alert_opens')
    .columns(['alert_id', 'user_id'])
    .execute();
}
