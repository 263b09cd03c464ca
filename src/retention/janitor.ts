import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { deleteExpiredRecordings } from '../recordings/retention.js';
import { deleteExpiredReports } from '../reports/retention.js';
import { deleteExpiredAnalytics, deleteExpiredEvents } from '../sessions/retention.js';
import { startPeriodic, type PeriodicTask } from '../shared/periodic.js';
import { pruneSnapshots } from '../statistics/service.js';
import type { FileStorage } from '../storage/files.js';
import { purgeTrash } from '../trash/service.js';
import { everyAccountsRetention, RETENTION_KINDS, type RetentionDays, type RetentionKind } from './settings.js';

/**
 * The janitor: applies every account's retention, purges the trash and old statistics snapshots.
 * Deletes go in small batches, each its own short transaction, with a pause between them: on
 * SQLite a batch holds the one write lock (and, in-process, the event loop) for a few
 * milliseconds, so requests and writes keep flowing while a year of data expires. Every instance
 * runs it; the deletes count only rows they removed, so two janitors never uncount a row twice.
 */

export interface JanitorOptions {
  retentionDays: RetentionDays;
  trashDays: number;
  statsRetentionDays: number;
  /** Rows per batch (reports, events; recordings and analytics files go a tenth of that at a time): 200 reports take ~40 ms on SQLite, during which the connection serves no read. */
  batchSize?: number;
  /** Pause between batches. */
  pauseMs?: number;
  /** Ends a run between two batches (at shutdown). */
  signal?: AbortSignal;
}

export type JanitorRun = Record<RetentionKind | 'trash' | 'statistics', number>;

const DAY_MS = 86_400_000;

export async function runJanitor(
  db: Kysely<Database>,
  storage: FileStorage,
  options: JanitorOptions,
  now = Date.now(),
): Promise<JanitorRun> {
  const batch = options.batchSize ?? 200;
  const pauseMs = options.pauseMs ?? 20;
  const files = { limit: Math.max(1, Math.floor(batch / 10)), trashDays: options.trashDays, now };
  const run: JanitorRun = { room_events: 0, analytics_files: 0, recordings: 0, reports: 0, trash: 0, statistics: 0 };
  const deleteOneBatch: Record<RetentionKind, (accountId: number, cutoffMs: number) => Promise<number | undefined>> = {
    room_events: (account, cutoff) => deleteExpiredEvents(db, account, cutoff, batch),
    analytics_files: (account, cutoff) => deleteExpiredAnalytics(db, storage, account, cutoff, files),
    recordings: (account, cutoff) => deleteExpiredRecordings(db, storage, account, cutoff, files),
    reports: (account, cutoff) => deleteExpiredReports(db, storage, account, cutoff, batch),
  };
  for (const account of await everyAccountsRetention(db, options.retentionDays)) {
    for (const kind of RETENTION_KINDS) {
      const days = account.effective[kind];
      if (days <= 0) continue;
      const cutoff = now - days * DAY_MS;
      while (!options.signal?.aborted) {
        const deleted = await deleteOneBatch[kind](account.account_id, cutoff);
        if (deleted === undefined) break;
        run[kind] += deleted;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  }
  if (options.signal?.aborted) return run;
  run.trash = await purgeTrash(db, storage, now);
  run.statistics = await pruneSnapshots(db, options.statsRetentionDays, now);
  return run;
}

/** Runs the janitor at start, then every `everyMs`, logging what each run removed. */
export function startJanitor(
  db: Kysely<Database>,
  storage: FileStorage,
  options: JanitorOptions & {
    everyMs: number;
    onRun: (run: JanitorRun) => void;
    onError: (error: unknown) => void;
  },
): PeriodicTask {
  const stopping = new AbortController();
  const task = startPeriodic(
    async () => options.onRun(await runJanitor(db, storage, { ...options, signal: stopping.signal })),
    options.everyMs,
    options.onError,
  );
  return {
    trigger: task.trigger,
    async stop() {
      stopping.abort();
      await task.stop();
    },
  };
}
