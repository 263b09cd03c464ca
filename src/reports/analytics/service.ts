import type { Kysely } from 'kysely';
import type { AuthUser } from '../../auth/service.js';
import { lastingFacts } from '../../db/lasting-facts.js';
import type { Database } from '../../db/schema.js';
import { AppError, invalidParams, notFound } from '../../http/errors.js';
import { parseInstant, toIso } from '../../shared/time.js';
import { MAP_KIND, splitAtDays } from '../counts/count-maps.js';
import { sumCountMaps } from '../counts/map-reads.js';
import { rankCounts } from '../counts/rank.js';
import { foldLocalDaysFromMaps, type OffsetDays } from '../counts/day-maps.js';
import { BUCKET_MS } from '../counts/levels.js';
import type { LevelRange } from '../counts/ranges.js';
import * as repo from '../repository.js';
import { getChannelOwner, getField } from '../service.js';
import { getCountsByKey } from './queries/get-counts-by-key.js';
import { getCountsByLocalUnit, type LocalUnit, type OffsetRange } from './queries/get-counts-by-local-unit.js';
import { getCountsByPiece } from './queries/get-counts-by-piece.js';
import { getOptionIdsBetween } from './queries/get-option-ids-between.js';
import type { WindowQuery } from './schemas.js';
import { getReportsBetween } from './queries/get-reports-between.js';
import { isTimeZone, localToUtc, offsetSegments, segmentOffset, type OffsetSegment } from './zone.js';

/**
 * The nine Reports v4 analytics. Report counts fold the 15-minute pre-aggregates (whole buckets of
 * the window, per offset segment of the time zone) and count the raw reports of the partial
 * buckets at the window's edges; reads and alerts are exact counts over one index range each.
 */

const B = BUCKET_MS;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_RANGE_MS = 3653 * DAY; // 10 years
export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];
type Caller = Pick<AuthUser, 'userId' | 'accountId' | 'roles'>;

export interface Window {
  channelId: number;
  accountId: number;
  start: number;
  end: number;
  zone: string;
  segments: OffsetSegment[];
  /** Whole buckets [firstBucket, endBucket); edges [start, firstBucket*B) and [endBucket*B, end) are raw. */
  firstBucket: number;
  endBucket: number;
  /** The same in whole hours, for the per-key counts (kept per hour at the finest). */
  firstHour: number;
  endHour: number;
}

export async function openWindow(db: Kysely<Database>, caller: Caller, q: WindowQuery): Promise<Window> {
  const start = parseInstant(q.start_date);
  if (start === undefined)
    throw invalidParams('start_date must be an ISO 8601 timestamp with Z or an offset', { field: 'start_date' });
  const end = parseInstant(q.end_date);
  if (end === undefined)
    throw invalidParams('end_date must be an ISO 8601 timestamp with Z or an offset', { field: 'end_date' });
  if (start >= end) throw invalidParams('start_date must be before end_date', { field: 'start_date' });
  if (end - start > MAX_RANGE_MS)
    throw invalidParams('the range from start_date to end_date is at most 10 years', { field: 'end_date' });
  const zone = q.time_zone ?? 'UTC';
  if (!isTimeZone(zone)) throw invalidParams(`time_zone "${zone}" is not an IANA time zone`, { field: 'time_zone' });
  const channel = await getChannelOwner(db, caller, q.channel_id);
  // A window inside one bucket has no whole bucket: first = end, and edges() reads it raw.
  const endBucket = Math.floor(end / B);
  const firstBucket = Math.min(Math.ceil(start / B), endBucket);
  const endHour = Math.floor(end / HOUR);
  const firstHour = Math.min(Math.ceil(start / HOUR), endHour);
  return {
    channelId: channel.id,
    accountId: channel.account_id,
    start,
    end,
    zone,
    segments: offsetSegments(zone, start, end),
    firstBucket,
    endBucket,
    firstHour,
    endHour,
  };
}

/**
 * The raw parts of a window: the partial buckets (or hours) at its edges, or all of it when it
 * holds no whole one.
 */
function edges(w: Window, unit: 'bucket' | 'hour' = 'bucket'): [number, number][] {
  const [first, end, ms] = unit === 'bucket' ? [w.firstBucket, w.endBucket, B] : [w.firstHour, w.endHour, HOUR];
  if (first >= end) return [[w.start, w.end]];
  return [
    [w.start, first * ms],
    [end * ms, w.end],
  ];
}

async function edgeReports(db: Kysely<Database>, w: Window, unit: 'bucket' | 'hour' = 'bucket') {
  return getReportsBetween(db, w.channelId, edges(w, unit));
}

/** The whole hours of a window in quarter hours, as the per-key counts take them. */
const wholeHours = (w: Window): [number, number] => [w.firstHour * (HOUR / B), w.endHour * (HOUR / B)];

/**
 * Whole-bucket counts by a local unit, per offset segment, plus the raw edges, keyed by `keyOf`.
 * In a whole-hour offset the segment's whole UTC days come from the hour-of-week maps: summed over
 * the days by hour of day or day of week (a local hour of the week is the UTC one shifted by the
 * offset), one map per day by local day (day-maps.ts).
 */
async function foldByLocalUnit(
  db: Kysely<Database>,
  w: Window,
  unit: LocalUnit,
  keyOf: (localUnit: number, offsetMs: number) => number,
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const add = (key: number, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);
  const ranges: OffsetRange[] = [];
  const mapArms: (LevelRange & { group: number })[] = [];
  const dayMaps: OffsetDays[] = [];
  for (const segment of w.segments) {
    const { offsetMs } = segment;
    const from = Math.max(Math.ceil(segment.from / B), w.firstBucket);
    const to = Math.min(Math.ceil(segment.to / B), w.endBucket);
    if (from >= to) continue;
    if (unit !== 'hour' && offsetMs % HOUR === 0) {
      const { days, wholeDays, rest } = splitAtDays(from, to);
      if (unit === 'day' && wholeDays) dayMaps.push({ fromDay: wholeDays[0], toDay: wholeDays[1], offsetMs });
      else for (const range of days) mapArms.push({ ...range, group: offsetMs / HOUR });
      for (const [restFrom, restTo] of rest) ranges.push({ offsetMs, from: restFrom, to: restTo });
    } else ranges.push({ offsetMs, from, to });
  }
  const [maps, whole, raw] = await Promise.all([
    sumCountMaps(db, w.channelId, MAP_KIND.weekHour, mapArms),
    getCountsByLocalUnit(db, w.channelId, ranges, unit),
    edgeReports(db, w),
    foldLocalDaysFromMaps(db, w.channelId, dayMaps, (day, offsetMs, n) => add(keyOf(day, offsetMs), n)),
  ]);
  for (const [offsetHours, weekHours] of maps)
    for (const [weekHour, n] of weekHours) {
      const local = (((weekHour + offsetHours) % 168) + 168) % 168;
      add(keyOf(unit === 'hourOfDay' ? local % 24 : (Math.floor(local / 24) + 4) % 7, offsetHours * HOUR), n);
    }
  for (const { offsetMs, k, n } of whole) add(keyOf(k, offsetMs), n);
  const unitMs = unit === 'hour' || unit === 'hourOfDay' ? HOUR : DAY;
  for (const r of raw) {
    const offset = segmentOffset(w.segments, r.created_at);
    const local = Math.floor((r.created_at + offset) / unitMs);
    add(keyOf(unit === 'hourOfDay' ? local % 24 : unit === 'dow' ? (local + 4) % 7 : local, offset), 1);
  }
  return counts;
}

/** The automatic bucket width of a range (contract §5). */
export function autoInterval(rangeMs: number): Interval {
  if (rangeMs <= 2 * DAY) return 'hour';
  if (rangeMs <= 92 * DAY) return 'day';
  if (rangeMs <= 3 * 366 * DAY) return 'week';
  return 'month';
}

/** The local start (ms in local terms) of the bucket holding a local day, and the next bucket's. */
function localBuckets(width: Exclude<Interval, 'hour'>) {
  const startOf = (day: number) => {
    if (width === 'day') return day * DAY;
    if (width === 'week') return (day - ((day + 3) % 7)) * DAY; // 1970-01-01 was a Thursday; weeks start Monday
    const date = new Date(day * DAY);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  };
  const next = (local: number) => {
    if (width === 'day') return local + DAY;
    if (width === 'week') return local + 7 * DAY;
    const date = new Date(local);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  };
  return { startOf, next };
}

/** More buckets than this, and weeks or months are folded from local days (hour rows) instead. */
const MAX_PIECES = 600;

/**
 * Week and month buckets: each bucket's whole quarter hours are one piece, read at the coarsest
 * levels that fit (UTC days inside, hours at its ends). Undefined when there are too many buckets.
 */
async function foldByPieces(
  db: Kysely<Database>,
  w: Window,
  width: 'week' | 'month',
): Promise<Map<number, number> | undefined> {
  const { startOf, next } = localBuckets(width);
  const utcStarts: number[] = [];
  for (let local = startOf(Math.floor((w.start + segmentOffset(w.segments, w.start)) / DAY)); ; local = next(local)) {
    const utc = localToUtc(w.zone, w.segments, local);
    if (utcStarts.length > 0 && utc >= w.end) break;
    if (utcStarts.length === MAX_PIECES) return undefined;
    utcStarts.push(utc);
  }
  const pieces = utcStarts.map((utc, i) => ({
    from: Math.max(Math.ceil(utc / B), w.firstBucket),
    to: i + 1 < utcStarts.length ? Math.min(Math.ceil(utcStarts[i + 1]! / B), w.endBucket) : w.endBucket,
  }));
  const [whole, raw] = await Promise.all([getCountsByPiece(db, w.channelId, pieces), edgeReports(db, w)]);
  const counts = new Map<number, number>();
  for (const [i, n] of whole) counts.set(utcStarts[i]!, n);
  for (const r of raw) {
    const key = localToUtc(
      w.zone,
      w.segments,
      startOf(Math.floor((r.created_at + segmentOffset(w.segments, r.created_at)) / DAY)),
    );
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export async function reportsOverTime(db: Kysely<Database>, w: Window, interval: Interval | undefined) {
  const width = interval ?? autoInterval(w.end - w.start);
  let starts: Map<number, number> | undefined;
  if (width === 'hour') {
    // Keyed by the hour's UTC start, so a repeated local hour (clocks back) stays two buckets.
    starts = await foldByLocalUnit(db, w, 'hour', (hour, offset) => hour * HOUR - offset);
  } else {
    // In whole-hour zones local days come from one count map per UTC day (a few hundred rows a
    // year); week and month pieces of hour and day rows are for the others (+05:30, +05:45).
    if (width !== 'day' && w.segments.some((s) => s.offsetMs % HOUR !== 0)) starts = await foldByPieces(db, w, width);
    if (!starts) {
      const { startOf } = localBuckets(width);
      const days = await foldByLocalUnit(db, w, 'day', (day) => day);
      const byLocal = new Map<number, number>();
      for (const [day, n] of days) byLocal.set(startOf(day), (byLocal.get(startOf(day)) ?? 0) + n);
      starts = new Map([...byLocal].map(([local, n]) => [localToUtc(w.zone, w.segments, local), n]));
    }
  }
  return [...starts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([start, n]) => ({
      account_id: w.accountId,
      datetime_range_start: toIso(start),
      report_count: n,
      datetime_range_width: width,
    }));
}

export async function reportsPerDayHour(db: Kysely<Database>, w: Window) {
  const counts = await foldByLocalUnit(db, w, 'hourOfDay', (h) => h);
  return [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([hour, n]) => ({ account_id: w.accountId, hour, report_count: n }));
}

export async function reportsPerWeekDay(db: Kysely<Database>, w: Window) {
  const counts = await foldByLocalUnit(db, w, 'dow', (d) => d);
  return [...counts]
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([dow, n]) => ({ account_id: w.accountId, dow, report_count: n }));
}

/**
 * Counts per state or per user: time zones do not matter, only the window's instants. Per user,
 * the window's whole UTC days come from the user maps (a year is ~30 rows, not 500 users × 20).
 */
async function countsBy(db: Kysely<Database>, w: Window, by: 'state' | 'user'): Promise<[number, number][]> {
  const { days, rest } = by === 'user' ? splitAtDays(...wholeHours(w)) : { days: [], rest: [wholeHours(w)] };
  const [maps, keyed, raw] = await Promise.all([
    sumCountMaps(
      db,
      w.channelId,
      MAP_KIND.user,
      days.map((range) => ({ ...range, group: 0 })),
    ),
    getCountsByKey(db, by, w.channelId, rest),
    edgeReports(db, w, 'hour'),
  ]);
  // The maps' sum, usually most of the counts, is what the rest is added to.
  const counts = maps.get(0) ?? new Map<number, number>();
  const add = (key: number, n: number) => counts.set(key, (counts.get(key) ?? 0) + n);
  for (const { k, n } of keyed) add(k, n);
  for (const r of raw) {
    const key = by === 'state' ? r.state_id : r.user_id;
    if (key !== null) add(key, 1);
  }
  return rankCounts(counts);
}

/** State id → name, without a query once seen: no route renames or deletes a state. */
const stateNameFacts = lastingFacts<number, string>(100_000);

async function namesOfStates(db: Kysely<Database>, ids: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const missing: number[] = [];
  for (const id of ids) {
    const name = stateNameFacts.get(db, id);
    if (name === undefined) missing.push(id);
    else names.set(id, name);
  }
  for (const [id, name] of await repo.stateNames(db, missing)) {
    names.set(id, name);
    stateNameFacts.set(db, id, name);
  }
  return names;
}

export async function reportsPerState(db: Kysely<Database>, w: Window) {
  const counts = await countsBy(db, w, 'state');
  const names = await namesOfStates(
    db,
    counts.map(([id]) => id),
  );
  return counts.map(([id, n]) => ({ id, name: names.get(id) ?? '', account_id: w.accountId, report_count: n }));
}

export async function reportsPerUser(db: Kysely<Database>, w: Window) {
  return (await countsBy(db, w, 'user')).map(([userId, n]) => ({
    user_id: userId,
    account_id: w.accountId,
    report_count: n,
  }));
}

const SINGLE_CHOICE = new Set(['Category', 'DropDown', 'Radio']);

export async function reportsPerFieldSelection(db: Kysely<Database>, caller: Caller, w: Window, fieldId: number) {
  const field = await getField(db, caller, fieldId);
  if (field.channel_id !== w.channelId) throw notFound('field not found');
  if (!SINGLE_CHOICE.has(field.field_type))
    throw new AppError(
      'unprocessable',
      `field ${fieldId} is a ${field.field_type} field; only Category, DropDown and Radio fields have per-selection counts`,
    );
  const [keyed, options, raw] = await Promise.all([
    getCountsByKey(db, 'option', fieldId, [wholeHours(w)]),
    repo.optionsOfField(db, fieldId),
    getOptionIdsBetween(db, w.channelId, field.form_id, edges(w, 'hour')),
  ]);
  const counts = new Map<number, number>();
  for (const { k, n } of keyed) counts.set(k, n);
  const ofField = new Set(options.map((o) => o.id));
  for (const r of raw) {
    for (const id of JSON.parse(r.option_ids!) as number[])
      if (ofField.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return options
    .filter((o) => (counts.get(o.id) ?? 0) > 0)
    .map((o) => ({
      field_id: fieldId,
      account_id: w.accountId,
      name: o.name,
      value: o.value,
      report_count: counts.get(o.id)!,
    }))
    .sort((a, b) => b.report_count - a.report_count);
}

export { MAX_IMAGES, reportsImagesListing, reportsRead, selectFields, userAwareness } from './reads-alerts-images.js';
