import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { preparedQuery } from '../db/prepared.js';
import type { Database } from '../db/schema.js';
import type { SqlBounds } from './query.js';

/** Every query on statistics snapshots and instance heartbeats. */

export interface StoredSnapshot {
  id: string;
  created_at: number;
  document: string;
}

export async function insertSnapshot(db: Kysely<Database>, snapshot: StoredSnapshot): Promise<void> {
  await db.insertInto('statistics_snapshots').values(snapshot).execute();
}

export async function newestSnapshot(db: Kysely<Database>): Promise<StoredSnapshot | undefined> {
  return db
    .selectFrom('statistics_snapshots')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function deleteSnapshotsBefore(db: Kysely<Database>, createdBefore: number): Promise<number> {
  const result = await db.deleteFrom('statistics_snapshots').where('created_at', '<', createdBefore).executeTakeFirst();
  return Number(result.numDeletedRows);
}

type BoundValues = { after: number | undefined; before: number | undefined; id: string | undefined };
type BoundShape = { afterInclusive: boolean; beforeInclusive: boolean };

function boundValues(bounds: SqlBounds): [BoundShape, BoundValues] {
  return [
    { afterInclusive: bounds.after?.inclusive ?? false, beforeInclusive: bounds.before?.inclusive ?? false },
    { after: bounds.after?.ms, before: bounds.before?.ms, id: bounds.id },
  ];
}

function bounded<O>(query: SelectQueryBuilder<Database, 'statistics_snapshots', O>, shape: BoundShape, v: BoundValues) {
  let q = query;
  if (v.after !== undefined) q = q.where('created_at', shape.afterInclusive ? '>=' : '>', v.after);
  if (v.before !== undefined) q = q.where('created_at', shape.beforeInclusive ? '<=' : '<', v.before);
  if (v.id !== undefined) q = q.where('id', '=', v.id);
  return q;
}

// statistics.list runs these on every call: prepared (see db/prepared.ts).
const countQuery = preparedQuery((db, shape: BoundShape, v: BoundValues) =>
  bounded(
    db.selectFrom('statistics_snapshots').select((eb) => eb.fn.countAll<number>().as('n')),
    shape,
    v,
  ),
);
const pageQuery = preparedQuery(
  (db, shape: BoundShape & { direction: 'asc' | 'desc' }, v: BoundValues & { limit: number; offset: number }) =>
    bounded(db.selectFrom('statistics_snapshots').selectAll(), shape, v)
      .orderBy('created_at', shape.direction)
      .orderBy('id', shape.direction)
      .limit(v.limit)
      .offset(v.offset),
);

export async function countSnapshots(db: Kysely<Database>, bounds: SqlBounds): Promise<number> {
  const [shape, values] = boundValues(bounds);
  const [row] = await countQuery(db, shape, values);
  return Number(row?.n ?? 0);
}

/** A page in created_at order (ties by id), within bounds. `limit` undefined: to the end. */
export async function pageSnapshots(
  db: Kysely<Database>,
  bounds: SqlBounds,
  direction: 'asc' | 'desc',
  offset: number,
  limit: number | undefined,
): Promise<StoredSnapshot[]> {
  const [shape, values] = boundValues(bounds);
  // "To the end" is the largest LIMIT both engines take (SQLite needs one with an OFFSET).
  return pageQuery(db, { ...shape, direction }, { ...values, limit: limit ?? Number.MAX_SAFE_INTEGER, offset });
}

/** Snapshots within bounds in created_at order, `batch` at a time (keyset), so memory stays bounded. */
export async function* scanSnapshots(
  db: Kysely<Database>,
  bounds: SqlBounds,
  direction: 'asc' | 'desc',
  batch = 500,
): AsyncGenerator<StoredSnapshot> {
  let last: { created_at: number; id: string } | undefined;
  for (;;) {
    let q = bounded(db.selectFrom('statistics_snapshots').selectAll(), ...boundValues(bounds));
    if (last) {
      const { created_at, id } = last;
      q = q.where((eb) =>
        direction === 'asc'
          ? eb.or([eb('created_at', '>', created_at), eb.and([eb('created_at', '=', created_at), eb('id', '>', id)])])
          : eb.or([eb('created_at', '<', created_at), eb.and([eb('created_at', '=', created_at), eb('id', '<', id)])]),
      );
    }
    const rows = await q.orderBy('created_at', direction).orderBy('id', direction).limit(batch).execute();
    yield* rows;
    if (rows.length < batch) return;
    last = rows.at(-1);
  }
}

export async function heartbeat(
  db: Kysely<Database>,
  instanceId: string,
  startedAt: number,
  now: number,
): Promise<void> {
  await db
    .insertInto('instances')
    .values({ id: instanceId, started_at: startedAt, last_seen_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ last_seen_at: now }))
    .execute();
}

export async function removeInstance(db: Kysely<Database>, instanceId: string): Promise<void> {
  await db.deleteFrom('instances').where('id', '=', instanceId).execute();
}

/** Instances seen since `since`; older rows (crashed instances) are dropped on the way. */
export async function liveInstances(db: Kysely<Database>, since: number): Promise<number> {
  await db.deleteFrom('instances').where('last_seen_at', '<', since).execute();
  const row = await db
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Applied migrations and whether a migration holds the lock (Rocket.Chat's `migration`). */
export async function migrationState(db: Kysely<Database>): Promise<{ version: number; locked: boolean }> {
  const applied = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(db);
  const lock = await sql<{ is_locked: number }>`select is_locked from kysely_migration_lock`.execute(db);
  return { version: Number(applied.rows[0]?.n ?? 0), locked: Number(lock.rows[0]?.is_locked ?? 0) === 1 };
}
