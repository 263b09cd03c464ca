import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';

export interface LoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A load's outcome: requests per second, latency percentiles (ms), failures. */
export interface LoadSummary {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

export interface BenchContext {
  scale: number;
  engine: 'sqlite' | 'postgres';
  db: Kysely<Database>;
  apiKey: string;
  apiSecret: string;
  adminToken: string;
  now: number;
}

/**
 * One measured load. `requests` are cycled by each connection. `reference`, when present, runs the
 * plain SQL a straightforward implementation would use, in-process, and returns ms per call.
 */
export interface Scenario {
  name: string;
  requests(context: BenchContext): Promise<LoadRequest[]> | LoadRequest[];
  reference?: { label: string; run(context: BenchContext): Promise<number> };
}

/** Mean ms per call of `fn` over `iterations` after a short warm-up. */
export async function timePerCall(fn: () => Promise<unknown>, iterations = 50): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  return (performance.now() - started) / iterations;
}
