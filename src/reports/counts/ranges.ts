import { LEVEL_SIZES } from './levels.js';

/** Level ranges and the UNION ALL arms the count queries read them with. */

/** Level ranges as the parallel value arrays the count queries bind, one entry per arm. */
export function rangeColumns(ranges: readonly LevelRange[]): { levels: number[]; froms: number[]; tos: number[] } {
  return { levels: ranges.map((r) => r.level), froms: ranges.map((r) => r.from), tos: ranges.map((r) => r.to) };
}

/** A range of buckets at one level (in that level's units). */
export interface LevelRange {
  level: number;
  from: number;
  to: number;
}

/**
 * Covers [from, to) (in quarter hours) with the coarsest buckets that fit: whole buckets of the
 * widest level in the middle, narrower ones towards the edges. `from` and `to` are whole buckets
 * of the narrowest level.
 */
export function decompose(from: number, to: number, levels: readonly number[]): LevelRange[] {
  if (from >= to) return [];
  const level = levels.at(-1)!;
  const size = LEVEL_SIZES[level]!;
  if (levels.length === 1) return [{ level, from: from / size, to: to / size }];
  const first = Math.ceil(from / size);
  const last = Math.floor(to / size);
  const narrower = levels.slice(0, -1);
  if (first >= last) return decompose(from, to, narrower);
  return [
    ...decompose(from, first * size, narrower),
    { level, from: first, to: last },
    ...decompose(last * size, to, narrower),
  ];
}

/** Arms 0 … n-1 of one UNION ALL. */
export function unionOf<Q extends { unionAll(other: Q): Q }>(arms: number, arm: (i: number) => Q): Q {
  let union = arm(0);
  for (let i = 1; i < arms; i++) union = union.unionAll(arm(i));
  return union;
}

export type TimeRanges = readonly (readonly [number, number])[];

/** The non-empty ranges as bound values and the shape they give (undefined: nothing to read). */
export function rangeValues(
  ranges: TimeRanges,
): { shape: { arms: number }; froms: number[]; tos: number[] } | undefined {
  const nonEmpty = ranges.filter(([from, to]) => from < to);
  if (nonEmpty.length === 0) return undefined;
  return { shape: { arms: nonEmpty.length }, froms: nonEmpty.map((r) => r[0]), tos: nonEmpty.map((r) => r[1]) };
}
