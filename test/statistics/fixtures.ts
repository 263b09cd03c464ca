import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { call, rcHeaders, type Session } from '../helpers/server.js';

/** Waits for the snapshot taken at start, then removes every snapshot: the test stores its own. */
export async function clearSnapshots(db: Kysely<Database>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const row = await db
      .selectFrom('statistics_snapshots')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(row.n) > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await db.deleteFrom('statistics_snapshots').execute();
}

/** Stores documents as snapshots, as an older version of Recap could have (any field set). */
export async function storeSnapshots(db: Kysely<Database>, documents: Record<string, unknown>[]): Promise<void> {
  for (const document of documents) {
    const createdAt = String(document.createdAt);
    await db
      .insertInto('statistics_snapshots')
      .values({ id: String(document._id), created_at: Date.parse(createdAt), document: JSON.stringify(document) })
      .execute();
  }
}

/** Snapshots one day apart from 2026-01-01, with ids that sort like their dates. */
export function dailyDocuments(
  n: number,
  extra: (i: number) => Record<string, unknown> = () => ({}),
): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.UTC(2026, 0, 1 + i, 12)).toISOString();
    return {
      _id: `6a00000000000000000${String(i).padStart(5, '0')}`,
      createdAt: at,
      _updatedAt: at,
      totalUsers: i,
      ...extra(i),
    };
  });
}

export function list(url: string, session: Session, params: Record<string, string | number>) {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]));
  return call(url, 'GET', `/api/v1/statistics.list?${search}`, { headers: rcHeaders(session) });
}
