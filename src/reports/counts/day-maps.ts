import type { Kysely } from 'kysely';
import { preparedQuery } from '../../db/prepared.js';
import type { Database } from '../../db/schema.js';
import { MAP_KIND } from './count-maps.js';
import { decodeCountMapInto } from './map-codec.js';
import { LEVEL } from './levels.js';

/**
 * Report counts per local day from the hour-of-week maps of single UTC days: one row per day holds
 * that day's counts by hour. In a whole-hour zone a UTC day spans at most two local days, so each
 * row splits at one hour. A Berlin year by week is then 365 rows, where week pieces of hour and day
 * rows were ~1,600 index ranges (a local week starts at 23:00 UTC: 1 + 6 + 23 rows).
 */

const dayMapsQuery = preparedQuery(
  (
    db,
    _shape: Record<string, never>,
    v: { channelId: number; kind: number; level: number; from: number; to: number },
  ) =>
    db
      .selectFrom('report_count_maps')
      .select(['bucket', 'counts'])
      .where('channel_id', '=', v.channelId)
      .where('kind', '=', v.kind)
      .where('level', '=', v.level)
      .where('bucket', '>=', v.from)
      .where('bucket', '<', v.to)
      .orderBy('bucket'),
);

/** Whole UTC days [fromDay, toDay) at one whole-hour offset. */
export interface OffsetDays {
  fromDay: number;
  toDay: number;
  offsetMs: number;
}

const HOUR = 3_600_000;

/**
 * Calls `add(localDay, offsetMs, n)` with the channel's report counts per local day over each
 * range of whole UTC days (ranges in order, not overlapping; offsets whole hours).
 */
export async function foldLocalDaysFromMaps(
  db: Kysely<Database>,
  channelId: number,
  ranges: readonly OffsetDays[],
  add: (localDay: number, offsetMs: number, n: number) => void,
): Promise<void> {
  if (ranges.length === 0) return;
  const rows = await dayMapsQuery(
    db,
    {},
    {
      channelId,
      kind: MAP_KIND.weekHour,
      level: LEVEL.day,
      from: ranges[0]!.fromDay,
      to: ranges.at(-1)!.toDay,
    },
  );
  let r = 0;
  // One array decodes every day's map: a new array per map (~50 values, off the V8 heap) made a
  // year's 365 maps cost ~0.5 ms instead of ~35 µs.
  let pairs = new Int32Array(0);
  for (const row of rows) {
    const day = Number(row.bucket);
    while (r < ranges.length && ranges[r]!.toDay <= day) r++;
    const range = ranges[r];
    if (!range || day < range.fromDay) continue; // a day between ranges: its hours are read elsewhere
    const offsetHours = range.offsetMs / HOUR;
    // Hours of this day from `split` on fall in the next local day (east of UTC) or, west of it,
    // hours before `split` in the previous one.
    const split = offsetHours >= 0 ? 24 - offsetHours : -offsetHours;
    const firstWeekHour = (day * 24) % 168;
    if (pairs.length < row.counts.length + 1) pairs = new Int32Array(row.counts.length + 1);
    const end = decodeCountMapInto(row.counts, pairs, 0);
    let before = 0;
    let after = 0;
    for (let at = 0; at + 1 < end; at += 2) {
      const hour = (pairs[at]! - firstWeekHour + 168) % 168;
      if (hour < split) before += pairs[at + 1]!;
      else after += pairs[at + 1]!;
    }
    const [early, late] = offsetHours >= 0 ? [day, day + 1] : [day - 1, day];
    if (before !== 0) add(early, range.offsetMs, before);
    if (after !== 0) add(late, range.offsetMs, after);
  }
}
