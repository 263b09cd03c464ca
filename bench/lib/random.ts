import prand from 'pure-rand';

/** A seeded, deterministic random source: the same seed gives the same data set on every machine. */
export class Random {
  private readonly rng: prand.RandomGenerator;

  constructor(seed: number) {
    this.rng = prand.xoroshiro128plus(seed);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return prand.unsafeUniformIntDistribution(min, max, this.rng);
  }

  /** A float in [0, 1). */
  float(): number {
    return prand.unsafeUniformIntDistribution(0, 0x7fffffff, this.rng) / 0x80000000;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.int(0, 0xfffffff).toString(16).padStart(7, '0');
    return out.slice(0, length);
  }
}
