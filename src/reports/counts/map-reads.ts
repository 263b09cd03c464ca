import { sql, type Kysely } from 'kysely';
import { databaseMemo } from '../../db/lasting-facts.js';
import { preparedQuery } from '../../db/prepared.js';
import type { Database } from '../../db/schema.js';
import { decodeCountMap, sumDecodedMaps, type MapKind } from './count-maps.js';
import { rangeColumns, unionOf, type LevelRange } from './ranges.js';

/**
 * Reading count maps without reading their bytes twice. Every write of a map gives it a stamp no
 * write ever gets again (migration 0032), so a map decoded once is kept by its row and stamp, and
 * a later read asks only for the stamps (an index range) and fetches the bytes of the maps whose
 * stamp it has not seen. A hot channel-year of user maps is 27 rows of ~2 KB; while reports arrive,
 * only the current day's maps change. Never stale: the stamps are read by every request, and a
 * stamp names one content of one row.
 */

/** Decoded maps by `channel:kind:level:bucket`, per database: 4,096 of 500 users take 16 MiB. */
const decodedMaps = databaseMemo<string, { stamp: number; pairs: Int32Array }>(4096);

/** More changed maps than this, and all of the arms' maps are read again at once. */
const MAX_FETCHED = 8;

type Arms = { channelId: number; kind: number; groups: number[]; levels: number[]; froms: number[]; tos: number[] };

/** The channel's maps of one kind at one level. */
const mapsAt = (db: Kysely<Database>, v: { channelId: number; kind: number }, level: number) =>
  db
    .selectFrom('report_count_maps')
    .where('channel_id', '=', v.channelId)
    .where('kind', '=', v.kind)
    .where('level', '=', level);

const armsOf = (db: Kysely<Database>, v: Arms, i: number) =>
  mapsAt(db, v, v.levels[i]!).where('bucket', '>=', v.froms[i]!).where('bucket', '<', v.tos[i]!);

const stampsQuery = preparedQuery((db, s: { arms: number }, v: Arms) =>
  unionOf(s.arms, (i) =>
    armsOf(db, v, i).select([sql<number>`cast(${v.groups[i]!} as bigint)`.as('g'), 'level', 'bucket', 'stamp']),
  ),
);

const mapsQuery = preparedQuery((db, s: { arms: number }, v: Arms) =>
  unionOf(s.arms, (i) => armsOf(db, v, i).select(['level', 'bucket', 'stamp', 'counts'])),
);

const chosenMapsQuery = preparedQuery(
  (db, s: { rows: number }, v: { channelId: number; kind: number; levels: number[]; buckets: number[] }) =>
    unionOf(s.rows, (i) =>
      mapsAt(db, v, v.levels[i]!).select(['level', 'bucket', 'stamp', 'counts']).where('bucket', '=', v.buckets[i]!),
    ),
);

/** One channel's maps of one kind over level ranges (`decompose` with MAP_LEVELS), summed per group. */
export async function sumCountMaps(
  db: Kysely<Database>,
  channelId: number,
  kind: MapKind,
  arms: readonly (LevelRange & { group: number })[],
): Promise<Map<number, Map<number, number>>> {
  if (arms.length === 0) return new Map();
  const values: Arms = { channelId, kind, groups: arms.map((a) => a.group), ...rangeColumns(arms) };
  const rowKey = (row: { level: number; bucket: number }) => `${channelId}:${kind}:${row.level}:${row.bucket}`;
  const stamps = await stampsQuery(db, { arms: arms.length }, values);
  // The same maps at the same stamps as last time: the same sums (most requests, even while
  // reports arrive: only the first read after a write sums again).
  const sumKey = `${channelId}:${kind}:${values.groups}:${values.levels}:${values.froms}:${values.tos}`;
  const signature = stamps.map((row) => `${row.g}:${row.level}:${row.bucket}:${row.stamp}`).join(',');
  const kept = keptSums.get(db, sumKey);
  if (kept?.signature === signature) return copyOf(kept.sums);
  const summed = await sumChangedMaps(db, values, stamps, rowKey);
  keptSums.set(db, sumKey, { signature, sums: copyOf(summed) });
  return summed;
}

/** Sums of whole windows' maps, by channel, kind and arms, with the stamps they were summed at. */
const keptSums = databaseMemo<string, { signature: string; sums: Map<number, Map<number, number>> }>(256);

const copyOf = (sums: Map<number, Map<number, number>>) => new Map([...sums].map(([g, sum]) => [g, new Map(sum)]));

/** The arms' maps summed per group: kept decoded maps, and the others fetched and kept. */
async function sumChangedMaps(
  db: Kysely<Database>,
  values: Arms,
  stamps: readonly { g: number; level: number; bucket: number; stamp: number }[],
  rowKey: (row: { level: number; bucket: number }) => string,
): Promise<Map<number, Map<number, number>>> {
  const { channelId, kind } = values;
  const sums = new Map<number, Map<number, number>>();
  // The maps to sum, by group: decoded pairs, or the row key of a map still to fetch.
  const byGroup = new Map<number, (Int32Array | string)[]>();
  const toFetch: { level: number; bucket: number }[] = [];
  for (const row of stamps) {
    const key = rowKey(row);
    const kept = decodedMaps.get(db, key);
    // Kept pairs are taken now: the memo may start over while this request waits.
    const map = kept?.stamp === Number(row.stamp) ? kept.pairs : key;
    if (map === key) toFetch.push(row);
    const g = Number(row.g);
    const maps = byGroup.get(g);
    if (maps) maps.push(map);
    else byGroup.set(g, [map]);
  }
  // Many changed (or a first read): all of the arms' maps at once, rather than a long list of rows.
  const rows =
    toFetch.length > MAX_FETCHED
      ? await mapsQuery(db, { arms: values.levels.length }, values)
      : toFetch.length > 0
        ? await chosenMapsQuery(
            db,
            { rows: toFetch.length },
            { channelId, kind, levels: toFetch.map((r) => r.level), buckets: toFetch.map((r) => r.bucket) },
          )
        : [];
  // A map may have changed since its stamp was read: what is fetched is newer, and kept as such.
  const fetched = new Map<string, Int32Array>();
  for (const row of rows) {
    const key = rowKey(row);
    fetched.set(key, keep(db, key, row));
  }
  for (const [g, maps] of byGroup) {
    // A map deleted since its stamp was read (all its counts gone) adds nothing.
    const decoded = maps.map((map) => (typeof map === 'string' ? (fetched.get(map) ?? EMPTY) : map));
    sums.set(g, sumDecodedMaps(decoded));
  }
  return sums;
}

const EMPTY = new Int32Array(0);

function keep(db: Kysely<Database>, key: string, row: { stamp: number; counts: Uint8Array }): Int32Array {
  const pairs = decodeCountMap(row.counts);
  decodedMaps.set(db, key, { stamp: Number(row.stamp), pairs });
  return pairs;
}
