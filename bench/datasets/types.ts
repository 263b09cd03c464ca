import type { Random } from '../lib/random.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import type { TableLoad } from '../lib/bulk-load.js';

export interface DatasetContext {
  /** Fraction of the contract's data set (1 = full size). */
  scale: number;
  random: Random;
  /** The instant the data set ends at (unix ms); everything is generated in the year before it. */
  now: number;
}

/** A module's share of the contract §6 data set. */
export interface Dataset {
  name: string;
  loads(context: DatasetContext): TableLoad[];
  /** Derived data computed from the loaded rows by the service's own code (e.g. counters). */
  afterLoad?(db: Kysely<Database>): Promise<void>;
}

export const scaled = (full: number, scale: number, minimum = 1) => Math.max(minimum, Math.round(full * scale));
