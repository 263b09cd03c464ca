import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCountMap, sumDecodedMaps } from '../../src/reports/counts/count-maps.js';
import { addCountMap, countMapPairs, encodeCountMap } from '../../src/reports/counts/map-codec.js';
import { rankCounts } from '../../src/reports/counts/rank.js';

/** Random maps: `keys` distinct keys drawn from [low, low + spread), counts 1–1000. */
function randomMaps(seed: number, maps: number, keys: number, low: number, spread: number): Buffer[] {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: maps }, () => {
    const counts = new Map<number, number>();
    while (counts.size < keys) counts.set(low + Math.floor(next() * spread), 1 + Math.floor(next() * 1000));
    return encodeCountMap(counts);
  });
}

/** Stored maps decoded and summed, as map-reads.ts does. */
const mergeCountMaps = (stored: readonly Uint8Array[]) => sumDecodedMaps(stored.map(decodeCountMap));

const naiveSum = (maps: readonly Uint8Array[]) => {
  const sum = new Map<number, number>();
  for (const map of maps) addCountMap(sum, map);
  return sum;
};
const sorted = (map: Map<number, number>) => [...map].sort((a, b) => a[0] - b[0]);

test('count maps merge to the sum of their counts, keys close or far apart, views aligned or not', () => {
  const cases = [
    randomMaps(1, 27, 500, 2, 600), // a channel's users
    randomMaps(2, 30, 168, 0, 168), // hours of the week
    randomMaps(3, 12, 50, 1_000_000, 2 ** 30), // ids far apart
    [...randomMaps(4, 5, 40, 0, 100), ...randomMaps(5, 5, 40, 2 ** 31 - 10_000, 10_000)], // two clusters
    [Buffer.alloc(0), ...randomMaps(6, 1, 1, 7, 1)],
    [],
  ];
  for (const maps of cases) assert.deepEqual(sorted(mergeCountMaps(maps)), sorted(naiveSum(maps)));
  // A map read at an odd offset (not a 4-byte aligned view).
  const [one] = randomMaps(7, 1, 300, 0, 400);
  const odd = Buffer.alloc(one!.length + 1);
  one!.copy(odd, 1);
  const unaligned = odd.subarray(1);
  assert.deepEqual(sorted(mergeCountMaps([unaligned, one!])), sorted(naiveSum([unaligned, one!])));
});

test('counts rank largest first, then by key, whatever their size', () => {
  const byComparator = (counts: Map<number, number>) =>
    [...counts].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const cases: Map<number, number>[] = [
    naiveSum(randomMaps(8, 27, 500, 2, 600)), // many ties broken by key
    new Map([
      [2 ** 32 - 1, 5],
      [0, 5],
      [7, 2 ** 21 - 1],
      [8, 0],
    ]),
    new Map([
      [3, 2 ** 21], // too large to pack: the comparator ranks the whole map
      [1, 2 ** 40],
      [2, 1],
    ]),
    new Map([
      [-4, 3],
      [9, 3],
      [5, -1],
    ]),
    new Map(),
  ];
  for (const counts of cases) assert.deepEqual(rankCounts(counts), byComparator(counts));
});

test('a stored map decodes to the pairs it was encoded from, int32 extremes too; damaged bytes end', () => {
  const extremes = new Map([
    [-(2 ** 31), 2 ** 31 - 1],
    [-1, -(2 ** 31)],
    [0, 63],
    [1, 64],
    [2 ** 31 - 1, -64],
  ]);
  const farApart = new Map(Array.from({ length: 200 }, (_, i) => [i * 10_737_418 - 2 ** 30, (i * 7919) % 100_000]));
  for (const counts of [extremes, farApart, new Map([[5, 0]]), new Map()]) {
    const stored = encodeCountMap(counts);
    const expected = [...counts].filter(([, n]) => n !== 0).sort((a, b) => a[0] - b[0]);
    assert.deepEqual([...countMapPairs(stored)], expected.flat());
    assert.deepEqual(naiveSum([stored]), new Map(expected));
  }
  // Two bytes a pair for keys a few apart and counts under 64.
  assert.equal(encodeCountMap(new Map(Array.from({ length: 500 }, (_, i) => [2 + 20 * i, 63]))).length, 1_000);
  // A map cut inside a varint, or made of continuation bytes only, decodes without looping.
  const cut = encodeCountMap(extremes).subarray(0, 7);
  assert.ok(countMapPairs(cut).length <= cut.length + 1);
  assert.ok(countMapPairs(Buffer.alloc(9, 0xff)).length <= 10);
});
