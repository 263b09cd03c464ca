import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connection.js';
import { notNull } from '../dialect.js';

/**
 * Deep pages, cheaper:
 * - recording_room_spans: count per room per 32-day span (floor(day / 32)), kept with the day
 *   counters. A deep page sums at most a dozen spans a year to find its span, then that span's
 *   days, instead of summing every day of the rooms (1,095 rows for three rooms over a year).
 * - SQLite: the counter tables become WITHOUT ROWID, so their primary key holds the counts and a
 *   sum reads one b-tree instead of looking up every row.
 *   PostgreSQL reads the few heap rows cheaply and keeps its tables as they are.
 */
export async function up(db: Kysely<unknown>, engine: Engine): Promise<void> {
  let spans = db.schema
    .createTable('recording_room_spans')
    .addColumn('account_id', 'bigint', notNull)
    .addColumn('room_id', 'text', notNull)
    .addColumn('span', 'integer', notNull)
    .addColumn('total', 'bigint', notNull)
    .addPrimaryKeyConstraint('recording_room_spans_pkey', ['account_id', 'room_id', 'span']);
  if (engine === 'sqlite') spans = spans.modifyEnd(sql`without rowid`);
  await spans.execute();
  await sql`insert into recording_room_spans (account_id, room_id, span, total)
    select account_id, room_id, day / 32, sum(total) from recording_room_days group by account_id, room_id, day / 32`.execute(
    db,
  );

  if (engine === 'sqlite') {
    await rebuildWithoutRowid(db, 'recording_room_totals', ['account_id', 'room_id'], (t) =>
      t.addColumn('total', 'bigint', notNull),
    );
    await rebuildWithoutRowid(db, 'recording_room_days', ['account_id', 'room_id', 'day'], (t) =>
      t.addColumn('day', 'integer', notNull).addColumn('total', 'bigint', notNull),
    );
  }
}

type TableBuilder = ReturnType<Kysely<unknown>['schema']['createTable']>;

/** SQLite cannot change a table to WITHOUT ROWID in place: copy it into a new one. */
async function rebuildWithoutRowid(
  db: Kysely<unknown>,
  table: string,
  key: string[],
  columns: (t: TableBuilder) => TableBuilder,
): Promise<void> {
  const next = `${table}_next`;
  await columns(
    db.schema.createTable(next).addColumn('account_id', 'bigint', notNull).addColumn('room_id', 'text', notNull),
  )
    .addPrimaryKeyConstraint(`${table}_pkey`, key as never)
    .modifyEnd(sql`without rowid`)
    .execute();
  await sql`insert into ${sql.table(next)} select * from ${sql.table(table)} order by ${sql.join(key.map((c) => sql.ref(c)))}`.execute(
    db,
  );
  await db.schema.dropTable(table).execute();
  await db.schema.alterTable(next).renameTo(table).execute();
}
