/**
 * Time zone offsets for analytics. A request computes its zone's offset segments once (the spans
 * of constant UTC offset over its window, found by sampling and bisecting with Intl), then folds
 * pre-aggregated 15-minute buckets with plain arithmetic — never a date-library call per bucket.
 */

export interface OffsetSegment {
  /** UTC ms, [from, to). */
  from: number;
  to: number;
  /** local = utc + offsetMs. */
  offsetMs: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  if (zone.length > 64) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset at an instant, in ms (one Intl call). */
export function offsetAt(zone: string, ms: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return local - Math.floor(ms / 1000) * 1000;
}

const SAMPLE_MS = 2 * 86_400_000; // no zone changes offset twice within two days
const MINUTE = 60_000;

const yearCache = new Map<string, OffsetSegment[]>();
const YEAR_CACHE_SIZE = 2000;

/** A UTC calendar year's segments for a zone, computed once (transitions do not change). */
function yearSegments(zone: string, year: number): OffsetSegment[] {
  const key = `${zone}|${year}`;
  let segments = yearCache.get(key);
  if (!segments) {
    segments = scanSegments(zone, Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
    if (yearCache.size >= YEAR_CACHE_SIZE) yearCache.delete(yearCache.keys().next().value as string);
    yearCache.set(key, segments);
  }
  return segments;
}

/** Segments of constant offset covering [start, end), assembled from cached years. */
export function offsetSegments(zone: string, start: number, end: number): OffsetSegment[] {
  if (zone === 'UTC' || zone === 'Etc/UTC') return [{ from: start, to: end, offsetMs: 0 }];
  const out: OffsetSegment[] = [];
  for (let year = new Date(start).getUTCFullYear(); Date.UTC(year, 0, 1) < end; year++) {
    for (const segment of yearSegments(zone, year)) {
      const from = Math.max(segment.from, start);
      const to = Math.min(segment.to, end);
      if (from >= to) continue;
      const last = out.at(-1);
      if (last && last.offsetMs === segment.offsetMs && last.to === from) last.to = to;
      else out.push({ from, to, offsetMs: segment.offsetMs });
    }
  }
  return out;
}

function scanSegments(zone: string, start: number, end: number): OffsetSegment[] {
  const segments: OffsetSegment[] = [];
  let from = start;
  let offset = offsetAt(zone, start);
  for (let probe = start + SAMPLE_MS; ; probe += SAMPLE_MS) {
    const at = Math.min(probe, end - 1);
    const next = offsetAt(zone, at);
    if (next !== offset) {
      // Bisect to the minute of the change: the first minute with the new offset.
      let lo = Math.floor((at - SAMPLE_MS > from ? at - SAMPLE_MS : from) / MINUTE);
      let hi = Math.ceil(at / MINUTE);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(zone, mid * MINUTE) === offset) lo = mid;
        else hi = mid;
      }
      segments.push({ from, to: hi * MINUTE, offsetMs: offset });
      from = hi * MINUTE;
      offset = offsetAt(zone, from);
      probe = from;
      continue;
    }
    if (at >= end - 1) break;
  }
  segments.push({ from, to: end, offsetMs: offset });
  return segments;
}

/** The offset in force at a UTC instant inside the segments (binary search). */
export function segmentOffset(segments: readonly OffsetSegment[], ms: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]!.from <= ms) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo]!.offsetMs;
}

/**
 * The UTC instant of a local wall-clock time (ms since 1970 in local terms). In a gap (spring
 * forward) it is the instant the clocks jump; in an overlap, the first occurrence.
 */
export function localToUtc(zone: string, segments: readonly OffsetSegment[], local: number): number {
  const first = segments[0]!;
  const last = segments.at(-1)!;
  const lookup = (ms: number) => (ms >= first.from && ms < last.to ? segmentOffset(segments, ms) : offsetAt(zone, ms));
  const guess = local - lookup(local);
  const utc = local - lookup(guess);
  // The earlier of two readings covers overlaps; a result whose local time moved covers gaps.
  const earlier = local - lookup(utc - 3_600_000);
  return earlier + lookup(earlier) === local && earlier < utc ? earlier : utc;
}
