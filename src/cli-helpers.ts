import type { Command } from 'commander';
import type { Config } from './config/index.js';
import type { DatabaseHandle } from './db/connection.js';

/** What cli.ts lends the commands other modules register (demo, backup). */
export interface CliHelpers {
  /** Opens the database (migrated, first identities created), runs `fn`, closes. */
  withDatabase<T>(command: Command, fn: (database: DatabaseHandle, config: Config) => Promise<T>): Promise<T>;
  configFrom(command: Command): Config;
  /** Runs the server until SIGINT/SIGTERM; `demo` prints where to sign in. */
  serve(command: Command, demo?: boolean): Promise<void>;
}
