import { sql, type Kysely } from 'kysely';
import { bulkInsert, forUpdate, nextCounterValue } from '../../db/dialect.js';
import type { Database } from '../../db/schema.js';
import { LEVEL, LEVEL_SIZES } from './levels.js';
import { decompose, type LevelRange } from './ranges.js';
import { addCountMap, decodeCountMapInto, encodeCountMap } from './map-codec.js';

/**
 * Count maps: per channel and wide bucket (a UTC day, 8 or 32 days), one row holding every key's
 * count in that bucket, packed. A year of a channel's reports per hour of the week, or per user, or
 * of its alert deliveries per recipient, is then some thirty rows instead of 8,760 hour rows or
 * 500 users × 20 bucket rows. They are kept
 * from the same changes as the count tables (CountDeltas.flush), and a map with no count left is
 * deleted, so the table holds exactly what a recount would.
 */

/**
 * What a map counts, and by what: reports by UTC hour of the week (`weekHourOf`) or by user; alert
 * deliveries by recipient, all of them or those opened.
 */
export const MAP_KIND = { weekHour: 0, user: 1, deliveries: 2, openedDeliveries: 3 } as const;
export type MapKind = (typeof MAP_KIND)[keyof typeof MAP_KIND];

/** The levels kept as maps, narrowest first: they align with UTC days, so hours fill the edges. */
export const MAP_LEVELS = [LEVEL.day, LEVEL.eightDays, LEVEL.thirtyTwoDays] as const;

/** The counter map stamps are drawn from (migration 0032). */
const MAP_STAMPS = 'report_count_map_stamps';

const HOURS_PER_WEEK = 168;
const DAY = 86_400_000;

/** The hour of the week of an hour index (hours since the epoch, a Thursday 00:00 UTC). */
export const weekHourOf = (hourIndex: number) => hourIndex % HOURS_PER_WEEK;

/** Changes to count maps, by channel, kind, level and bucket, then key. */
export class CountMapDeltas {
  private maps = new Map<
    string,
    { channelId: number; kind: MapKind; level: number; bucket: number; counts: Map<number, number> }
  >();

  /** Adds `delta` to `key`'s count in the maps of every level holding the UTC day `day`. */
  add(channelId: number, kind: MapKind, day: number, key: number, delta: number): void {
    for (const level of MAP_LEVELS) {
      const bucket = Math.floor((day * LEVEL_SIZES[LEVEL.day]!) / LEVEL_SIZES[level]!);
      const id = `${channelId}:${kind}:${level}:${bucket}`;
      let map = this.maps.get(id);
      if (!map) this.maps.set(id, (map = { channelId, kind, level, bucket, counts: new Map() }));
      map.counts.set(key, (map.counts.get(key) ?? 0) + delta);
    }
  }

  /** A delivery to `userId` at `sentAt` (ms) added (1) or deleted (-1), opened or not. */
  addDelivery(channelId: number, userId: number, sentAt: number, opened: boolean, delta: 1 | -1): void {
    const day = Math.floor(sentAt / DAY);
    this.add(channelId, MAP_KIND.deliveries, day, userId, delta);
    if (opened) this.add(channelId, MAP_KIND.openedDeliveries, day, userId, delta);
  }

  /** A delivery to `userId` at `sentAt` (ms) that the user has opened now. */
  addOpened(channelId: number, userId: number, sentAt: number): void {
    this.add(channelId, MAP_KIND.openedDeliveries, Math.floor(sentAt / DAY), userId, 1);
  }

  /** A quarter hour's change of a channel's report count. */
  addQuarterHour(channelId: number, quarterHour: number, delta: number): void {
    const hour = Math.floor(quarterHour / 4);
    this.add(channelId, MAP_KIND.weekHour, Math.floor(hour / 24), weekHourOf(hour), delta);
  }

  /**
   * Writes and forgets the changes: each touched map is read, changed and written back. Callers
   * hold the lock of every channel changed (its totals row), so no other writer changes these maps
   * meanwhile; the rows are locked as well on PostgreSQL, in key order.
   */
  async flush(db: Kysely<Database>): Promise<void> {
    const changes = [...this.maps.values()].sort(
      (a, b) => a.channelId - b.channelId || a.kind - b.kind || a.level - b.level || a.bucket - b.bucket,
    );
    this.maps = new Map();
    // One stamp for every map this flush writes: a map is written once per flush.
    const stamp = changes.length > 0 ? await nextCounterValue(db, MAP_STAMPS) : 0;
    for (let start = 0; start < changes.length; start += 500) {
      const chunk = changes.slice(start, start + 500);
      const tuples = chunk.map((c) => sql`(${c.channelId}, ${c.kind}, ${c.level}, ${c.bucket})`);
      const stored = await forUpdate(
        db,
        db
          .selectFrom('report_count_maps')
          .select(['channel_id', 'kind', 'level', 'bucket', 'counts'])
          .where(sql<boolean>`(channel_id, kind, level, bucket) in (${sql.join(tuples)})`)
          .orderBy('channel_id')
          .orderBy('kind')
          .orderBy('level')
          .orderBy('bucket'),
      ).execute();
      const before = new Map(stored.map((r) => [`${r.channel_id}:${r.kind}:${r.level}:${r.bucket}`, r.counts]));
      const written: unknown[][] = [];
      const emptied: ReturnType<typeof sql>[] = [];
      for (const change of chunk) {
        const id = `${change.channelId}:${change.kind}:${change.level}:${change.bucket}`;
        const counts = new Map<number, number>();
        const old = before.get(id);
        if (old) addCountMap(counts, old);
        for (const [key, delta] of change.counts) counts.set(key, (counts.get(key) ?? 0) + delta);
        const encoded = encodeCountMap(counts);
        if (encoded.length > 0)
          written.push([change.channelId, change.kind, change.level, change.bucket, encoded, stamp]);
        else if (old) emptied.push(sql`(${change.channelId}, ${change.kind}, ${change.level}, ${change.bucket})`);
      }
      await bulkInsert(
        db,
        'report_count_maps',
        ['channel_id', 'kind', 'level', 'bucket', 'counts', 'stamp'],
        written,
        'on conflict (channel_id, kind, level, bucket) do update set counts = excluded.counts, stamp = excluded.stamp',
      );
      if (emptied.length > 0)
        await sql`delete from report_count_maps where (channel_id, kind, level, bucket) in (${sql.join(emptied)})`.execute(
          db,
        );
    }
  }
}

/** A stored map as its (key, count) pairs, by key, in one array: key, count, key, count… */
export function decodeCountMap(stored: Uint8Array): Int32Array {
  // A pair takes two bytes or more.
  const decoded = new Int32Array(stored.length + 1);
  return decoded.slice(0, decodeCountMapInto(stored, decoded, 0));
}

/**
 * The sum of decoded maps. A year is ~30 maps of a few hundred keys each. Where the keys lie close
 * together (a channel's users, hours of the week), the counts are added into an array indexed by
 * key (~60 µs for 27 maps of 500 users); otherwise the maps are merged in key order, which costs
 * about twice that but no memory per unused key.
 */
export function sumDecodedMaps(decoded: readonly Int32Array[]): Map<number, number> {
  const maps = decoded.filter((pairs) => pairs.length > 0);
  let pairs = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const view of maps) {
    pairs += view.length / 2;
    min = Math.min(min, view[0]!);
    max = Math.max(max, view[view.length - 2]!);
  }
  if (pairs === 0) return new Map();
  return max - min < DENSE_SPAN_PER_PAIR * pairs + 1024 ? addByKey(maps, min, max) : mergeByKey(maps, pairs);
}

/** How sparse keys may be (span per stored pair) for the sum to use an array indexed by key. */
const DENSE_SPAN_PER_PAIR = 4;

function addByKey(maps: readonly Int32Array[], min: number, max: number): Map<number, number> {
  const sums = new Float64Array(max - min + 1);
  for (const pairs of maps) for (let i = 0; i < pairs.length; i += 2) sums[pairs[i]! - min]! += pairs[i + 1]!;
  const sum = new Map<number, number>();
  // Stored counts are never zero, so a zero here is a key no map holds.
  for (let i = 0; i < sums.length; i++) if (sums[i] !== 0) sum.set(i + min, sums[i]!);
  return sum;
}

/** Merges sorted pairs; two pairs of arrays sized for all pairs take turns as source and result. */
function mergeByKey(maps: readonly Int32Array[], total: number): Map<number, number> {
  let keys = new Int32Array(total);
  let counts = new Float64Array(total);
  let nextKeys = new Int32Array(total);
  let nextCounts = new Float64Array(total);
  let n = 0;
  for (const pairs of maps) {
    const m = pairs.length >>> 1;
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < n && j < m) {
      const a = keys[i]!;
      const b = pairs[j * 2]!;
      if (a < b) {
        nextKeys[k] = a;
        nextCounts[k++] = counts[i++]!;
      } else {
        nextKeys[k] = b;
        nextCounts[k++] = pairs[j++ * 2 + 1]! + (a === b ? counts[i++]! : 0);
      }
    }
    for (; i < n; i++, k++) {
      nextKeys[k] = keys[i]!;
      nextCounts[k] = counts[i]!;
    }
    for (; j < m; j++, k++) {
      nextKeys[k] = pairs[j * 2]!;
      nextCounts[k] = pairs[j * 2 + 1]!;
    }
    [keys, nextKeys] = [nextKeys, keys];
    [counts, nextCounts] = [nextCounts, counts];
    n = k;
  }
  const sum = new Map<number, number>();
  for (let i = 0; i < n; i++) sum.set(keys[i]!, counts[i]!);
  return sum;
}

/**
 * Rebuilds every map (after the count tables and the deliveries' opened flags were rebuilt), a
 * channel at a time: the channel totals' hour rows give the hours of the week, the per-user day
 * rows the user maps, the deliveries per recipient and day the delivery maps.
 */
export async function rebuildCountMaps(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('report_count_maps').execute();
  const channels = await db.selectFrom('channels').select('id').orderBy('id').execute();
  for (const { id: channelId } of channels) {
    const maps = new CountMapDeltas();
    const hours = await db
      .selectFrom('report_counts')
      .select(['bucket', 'total'])
      .where('channel_id', '=', channelId)
      .where('level', '=', LEVEL.hour)
      .execute();
    for (const { bucket, total } of hours) {
      const hour = Number(bucket);
      maps.add(channelId, MAP_KIND.weekHour, Math.floor(hour / 24), weekHourOf(hour), Number(total));
    }
    const days = await db
      .selectFrom('report_user_counts')
      .select(['bucket', 'user_id', 'total'])
      .where('channel_id', '=', channelId)
      .where('level', '=', LEVEL.day)
      .execute();
    for (const { bucket, user_id, total } of days)
      maps.add(channelId, MAP_KIND.user, Number(bucket), user_id, Number(total));
    const deliveries = await db
      .selectFrom('alert_deliveries')
      .select((eb) => [
        'user_id',
        sql<number>`sent_at / ${sql.lit(DAY)}`.as('day'),
        eb.fn.countAll<number>().as('n'),
        eb.fn.sum<number>('opened').as('opened'),
      ])
      .where('channel_id', '=', channelId)
      .groupBy(['user_id', sql`sent_at / ${sql.lit(DAY)}`])
      .execute();
    for (const { user_id, day, n, opened } of deliveries) {
      maps.add(channelId, MAP_KIND.deliveries, Number(day), user_id, Number(n));
      if (Number(opened) > 0) maps.add(channelId, MAP_KIND.openedDeliveries, Number(day), user_id, Number(opened));
    }
    await maps.flush(db);
  }
}

const QUARTERS_PER_DAY = LEVEL_SIZES[LEVEL.day]!;

/**
 * Splits [from, to) into its whole UTC days, as map level ranges and as [first, end) day numbers,
 * and the rest. `from`, `to` and the rest are in units of which a day holds `perDay`: quarter
 * hours by default, or milliseconds.
 */
export function splitAtDays(
  from: number,
  to: number,
  perDay = QUARTERS_PER_DAY,
): { days: LevelRange[]; wholeDays?: [number, number]; rest: [number, number][] } {
  const dayFrom = Math.ceil(from / perDay);
  const dayTo = Math.floor(to / perDay);
  if (dayFrom >= dayTo) return { days: [], rest: from < to ? [[from, to]] : [] };
  const rest: [number, number][] = [];
  if (from < dayFrom * perDay) rest.push([from, dayFrom * perDay]);
  if (dayTo * perDay < to) rest.push([dayTo * perDay, to]);
  return {
    days: decompose(dayFrom * QUARTERS_PER_DAY, dayTo * QUARTERS_PER_DAY, MAP_LEVELS),
    wholeDays: [dayFrom, dayTo],
    rest,
  };
}
