/**
 * How a count map is stored (migration 0030): its (key, count) pairs by key, each pair as two
 * zigzag LEB128 varints, the key's difference from the previous key (the first from 0) and the
 * count. A channel's users a few ids apart with counts under 64 take two bytes a pair instead of
 * the eight of int32 pairs: a 32-day map of 500 users is ~1 KB, not 4. Reading a year's maps is
 * mostly moving those bytes (PostgreSQL sends `bytea` as hex text), and every report write
 * rewrites a few maps. Keys and counts are int32.
 */

/** The map's pairs as bytes; zero counts are left out. */
export function encodeCountMap(counts: ReadonlyMap<number, number>): Buffer {
  const keys = [...counts.keys()].filter((k) => counts.get(k) !== 0).sort((a, b) => a - b);
  const bytes = Buffer.allocUnsafe(keys.length * 2 * MAX_VARINT_BYTES);
  let at = 0;
  let previous = 0;
  for (const key of keys) {
    at = writeZigzag(bytes, at, key - previous);
    at = writeZigzag(bytes, at, counts.get(key)!);
    previous = key;
  }
  return bytes.subarray(0, at);
}

/** The most bytes a varint of a difference of two int32 (below 2³³ once zigzagged) takes. */
const MAX_VARINT_BYTES = 5;

function writeZigzag(bytes: Buffer, at: number, value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`count map value ${value} is not an integer`);
  // Arithmetic rather than bit operations: a difference of two int32 keys needs 33 bits.
  let rest = value >= 0 ? value * 2 : -value * 2 - 1;
  while (rest >= 128) {
    bytes[at++] = (rest % 128) + 128;
    rest = Math.floor(rest / 128);
  }
  bytes[at++] = rest;
  return at;
}

/**
 * Decodes a stored map into `pairs` from index `at` as (key, count) int32 pairs; returns the index
 * after the last. `pairs` must have room for `stored.length` values (a pair takes two bytes or more).
 * Bytes past a truncated varint are read as zeros, so a damaged map decodes to wrong counts, never
 * to a loop without end.
 */
export function decodeCountMapInto(stored: Uint8Array, pairs: Int32Array, at: number): number {
  let i = 0;
  let key = 0;
  const end = stored.length;
  // The two varints are read inline: a shared reader (its position in a module variable) took
  // 65 µs to decode a hot channel-year's 27 user maps, against 36 µs.
  while (i < end) {
    let byte = stored[i++]!;
    let delta = byte;
    if (byte >= 128) {
      delta = byte - 128;
      let scale = 128;
      do {
        byte = stored[i++] ?? 0;
        delta += (byte % 128) * scale;
        scale *= 128;
      } while (byte >= 128);
    }
    byte = stored[i++] ?? 0;
    let count = byte;
    if (byte >= 128) {
      count = byte - 128;
      let scale = 128;
      do {
        byte = stored[i++] ?? 0;
        count += (byte % 128) * scale;
        scale *= 128;
      } while (byte >= 128);
    }
    key += delta % 2 === 0 ? delta / 2 : -(delta + 1) / 2;
    pairs[at++] = key;
    pairs[at++] = count % 2 === 0 ? count / 2 : -(count + 1) / 2;
  }
  return at;
}

/** A stored map as (key, count) int32 pairs. */
export function countMapPairs(stored: Uint8Array): Int32Array {
  const pairs = new Int32Array(stored.length + 1);
  return pairs.subarray(0, decodeCountMapInto(stored, pairs, 0));
}

/** Adds a stored map's counts into `into`. */
export function addCountMap(into: Map<number, number>, stored: Uint8Array): void {
  const pairs = countMapPairs(stored);
  for (let i = 0; i < pairs.length; i += 2) into.set(pairs[i]!, (into.get(pairs[i]!) ?? 0) + pairs[i + 1]!);
}
