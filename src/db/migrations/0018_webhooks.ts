import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull, withIdColumn } from '../dialect.js';

/**
 * Webhooks out. `webhook_settings`: an account's default URL and the API key whose secret signs its
 * deliveries. `webhook_deliveries`: the durable queue and its log, one row per event and URL; a
 * pending row is due at `next_attempt_at`, and claiming it moves that time forward by a lease, so
 * an instance that dies mid-delivery gives the row back when the lease runs out.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('webhook_settings')
    .addColumn('account_id', 'bigint', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('url', 'text', (c) => c.notNull().defaultTo(sql`''`))
    .addColumn('signing_api_key', 'text')
    .addColumn('updated_at', 'bigint', notNull)
    .execute();

  await withIdColumn(db.schema.createTable('webhook_deliveries'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('event_id', 'text', notNull)
    .addColumn('event', 'text', notNull)
    .addColumn('url', 'text', notNull)
    .addColumn('host', 'text', notNull)
    .addColumn('body', 'text', notNull)
    .addColumn('state', 'text', notNull)
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', notNull)
    .addColumn('claim', 'text')
    .addColumn('created_at', 'bigint', notNull)
    .addColumn('last_attempt_at', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'bigint')
    .execute();
  // The worker's poll reads only due pending rows; the log pages an account's rows newest first.
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .column('next_attempt_at')
    .where(sql.ref('state'), '=', 'pending')
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_account_idx')
    .on('webhook_deliveries')
    .columns(['account_id', 'id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_created_idx').on('webhook_deliveries').column('created_at').execute();
}
