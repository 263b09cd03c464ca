import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';

/**
 * Chains of reads: every read knows the time of the previous and the next read (by time, then id)
 * of the same report, of the same user in the channel, and of the same (user, report) pair. A
 * distinct count over [L, R) is then the number of reads in the window whose previous read of the
 * key is before L (reports_read, distinct-reads.ts), and `report_read_days` keeps those per day and
 * day of the previous read. Kept in the transaction of every read written or deleted, after the
 * channel's totals row is locked, so writers of one channel link in turn.
 */

export const DAY_MS = 86_400_000;
/** The previous-day of a read that has no previous read of its key (migration 0022's value). */
export const NO_DAY = -1_000_000_000;

type LinkColumn =
  'prev_report_at' | 'next_report_at' | 'prev_user_at' | 'next_user_at' | 'prev_pair_at' | 'next_pair_at';
type KeyColumn = 'channel_id' | 'report_id' | 'user_id';

export interface ReadKind {
  /** What `report_read_days.kind` stores. */
  kind: number;
  key: readonly KeyColumn[];
  prev: LinkColumn;
  next: LinkColumn;
}

/** The three keys; each key's columns lead an index of report_reads, then read_at. */
export const READ_KINDS = {
  report: { kind: 0, key: ['channel_id', 'report_id'], prev: 'prev_report_at', next: 'next_report_at' },
  user: { kind: 1, key: ['channel_id', 'user_id'], prev: 'prev_user_at', next: 'next_user_at' },
  pair: { kind: 2, key: ['channel_id', 'user_id', 'report_id'], prev: 'prev_pair_at', next: 'next_pair_at' },
} as const satisfies Record<string, ReadKind>;

const KINDS: readonly ReadKind[] = Object.values(READ_KINDS);

export type ReadRow = { id: number; channel_id: number; report_id: number; user_id: number; read_at: number } & Record<
  LinkColumn,
  number | null
>;

export const dayOf = (time: number): number => Math.floor(time / DAY_MS);
export const prevDayOf = (time: number | null): number => (time === null ? NO_DAY : dayOf(time));

/** Changes to `report_read_days` of one channel, summed, then written in key order. */
class DayCells {
  private cells = new Map<string, number>();
  add(kind: number, time: number, prev: number | null, n: number): void {
    const key = `${kind}:${dayOf(time)}:${prevDayOf(prev)}`;
    this.cells.set(key, (this.cells.get(key) ?? 0) + n);
  }
  async flush(db: Kysely<Database>, channelId: number): Promise<void> {
    const rows = [...this.cells]
      .filter(([, n]) => n !== 0)
      .map(([key, n]) => {
        const [kind, day, prevDay] = key.split(':').map(Number) as [number, number, number];
        return { channel_id: channelId, kind, day, prev_day: prevDay, n };
      })
      .sort((a, b) => a.kind - b.kind || a.day - b.day || a.prev_day - b.prev_day);
    this.cells.clear();
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      await db
        .insertInto('report_read_days')
        .values(chunk)
        .onConflict((oc) =>
          oc
            .columns(['channel_id', 'kind', 'day', 'prev_day'])
            .doUpdateSet({ n: sql`report_read_days.n + excluded.n` }),
        )
        .execute();
    }
    // A cell brought to 0 goes, so the table is what a recount writes (only cells that lost reads can be 0).
    const lowered = rows.filter((r) => r.n < 0);
    for (let i = 0; i < lowered.length; i += 100)
      await db
        .deleteFrom('report_read_days')
        .where('channel_id', '=', channelId)
        .where('n', '=', 0)
        .where((eb) =>
          eb.or(
            lowered
              .slice(i, i + 100)
              .map((r) => eb.and([eb('kind', '=', r.kind), eb('day', '=', r.day), eb('prev_day', '=', r.prev_day)])),
          ),
        )
        .execute();
  }
}

const keyOf = (kind: ReadKind, row: Pick<ReadRow, KeyColumn>) => kind.key.map((c) => [c, row[c]] as const);

/** The read of the same key just before (direction 'prev') or after ('next') a position. */
async function neighbour(
  db: Kysely<Database>,
  kind: ReadKind,
  row: Pick<ReadRow, KeyColumn>,
  at: { time: number; id: number },
  direction: 'prev' | 'next',
) {
  let query = db.selectFrom('report_reads').select(['id', 'read_at', kind.prev, kind.next]);
  for (const [column, value] of keyOf(kind, row)) query = query.where(column, '=', value);
  const before = direction === 'prev';
  return query
    .where((eb) => eb(eb.refTuple('read_at', 'id'), before ? '<' : '>', eb.tuple(at.time, at.id)))
    .orderBy('read_at', before ? 'desc' : 'asc')
    .orderBy('id', before ? 'desc' : 'asc')
    .limit(1)
    .executeTakeFirst();
}

/** Links a read just inserted into its three chains and counts it in its channel's cells. */
export async function linkRead(db: Kysely<Database>, read: Omit<ReadRow, LinkColumn>): Promise<void> {
  const cells = new DayCells();
  const own: Partial<Record<LinkColumn, number | null>> = {};
  const at = { time: read.read_at, id: read.id };
  for (const kind of KINDS) {
    const [before, after] = await Promise.all([
      neighbour(db, kind, read, at, 'prev'),
      neighbour(db, kind, read, at, 'next'),
    ]);
    own[kind.prev] = before?.read_at ?? null;
    own[kind.next] = after?.read_at ?? null;
    cells.add(kind.kind, read.read_at, own[kind.prev]!, 1);
    if (before) await db.updateTable('report_reads').set(kind.next, read.read_at).where('id', '=', before.id).execute();
    if (after) {
      // Written out of order: the next read's previous read is now this one.
      await db.updateTable('report_reads').set(kind.prev, read.read_at).where('id', '=', after.id).execute();
      cells.add(kind.kind, after.read_at, after[kind.prev] as number | null, -1);
      cells.add(kind.kind, after.read_at, read.read_at, 1);
    }
  }
  await db.updateTable('report_reads').set(own).where('id', '=', read.id).execute();
  await cells.flush(db, read.channel_id);
}

/**
 * Uncounts reads of one channel just deleted (as they were) and closes the gaps they leave in
 * `surviving` chains: the keys whose other reads may remain (a report's reads all go with it, so
 * retention passes only 'user').
 */
export async function unlinkReads(
  db: Kysely<Database>,
  channelId: number,
  deleted: readonly ReadRow[],
  surviving: readonly ReadKind[],
): Promise<void> {
  const cells = new DayCells();
  for (const read of deleted) for (const kind of KINDS) cells.add(kind.kind, read.read_at, read[kind.prev], -1);
  for (const kind of surviving) {
    const mended = new Set<number>();
    for (const read of deleted) {
      const at = { time: read.read_at, id: read.id };
      const after = await neighbour(db, kind, read, at, 'next');
      if (after && mended.has(after.id)) continue;
      const before = await neighbour(db, kind, read, after ? { time: after.read_at, id: after.id } : at, 'prev');
      const previous = before?.read_at ?? null;
      if (after) {
        mended.add(after.id);
        const old = after[kind.prev] as number | null;
        if (old !== previous) {
          await db.updateTable('report_reads').set(kind.prev, previous).where('id', '=', after.id).execute();
          cells.add(kind.kind, after.read_at, old, -1);
          cells.add(kind.kind, after.read_at, previous, 1);
        }
      }
      if (before && before[kind.next] !== (after?.read_at ?? null))
        await db
          .updateTable('report_reads')
          .set(kind.next, after?.read_at ?? null)
          .where('id', '=', before.id)
          .execute();
    }
  }
  await cells.flush(db, channelId);
}
