import prand from 'pure-rand';

/** A seeded random source (pure-rand's xoroshiro128+): the same seed gives the same data. */
export class Rand {
  private rng: prand.RandomGenerator;
  constructor(seed: number) {
    this.rng = prand.xoroshiro128plus(seed);
  }
  /** An integer in [0, max). */
  int(max: number): number {
    return prand.unsafeUniformIntDistribution(0, max - 1, this.rng);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }
}
