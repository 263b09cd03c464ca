import type { Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull, withIdColumn } from '../dialect.js';

/**
 * The trash: a deleted recording or analytics file leaves its live table at once (lists, totals
 * and counters are as if deleted) and waits here, with its files moved under `files/trash/`, until
 * `purge_at` (RECAP_TRASH_DAYS). `row` is the live row as JSON, so a restore puts back exactly it.
 * While trashed, its id stays taken: (account_id, kind, object_id) is unique.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  await withIdColumn(db.schema.createTable('trash'), engine)
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('kind', 'text', notNull)
    .addColumn('object_id', 'text', notNull)
    .addColumn('row', 'text', notNull)
    .addColumn('trashed_at', 'bigint', notNull)
    .addColumn('purge_at', 'bigint', notNull)
    .execute();
  await db.schema
    .createIndex('trash_object_key')
    .on('trash')
    .unique()
    .columns(['account_id', 'kind', 'object_id'])
    .execute();
  await db.schema.createIndex('trash_purge_idx').on('trash').column('purge_at').execute();
  await db.schema.createIndex('trash_account_idx').on('trash').columns(['account_id', 'trashed_at']).execute();
}
