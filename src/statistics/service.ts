import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { Query } from 'mingo/query';
import { Context } from 'mingo';
import { withExclusiveLock } from '../db/dialect.js';
import { invalidParams } from '../http/errors.js';
import { startPeriodic, type PeriodicTask } from '../shared/periodic.js';
import type { Database } from '../db/schema.js';
import { ALLOWED_QUERY_OPERATORS, sqlBounds, sqlOrder, type Filter, type Projection, type SortSpec } from './query.js';
import * as repo from './repository.js';
import { buildSnapshot, snapshotId } from './snapshot.js';

const SNAPSHOT_LOCK = 0x7374_6174; // "stat"

/** Only the allow-listed query operators exist for mingo: nothing else can be reached at any depth. */
const operatorContext = Context.init({ query: ALLOWED_QUERY_OPERATORS });
const mingoOptions = { context: operatorContext, scriptEnabled: false, useStrictMode: true } as const;

export type SnapshotDocument = Record<string, unknown>;

/** Stores a snapshot taken now; `_id` and `createdAt` are the row's. */
async function storeSnapshot(db: Kysely<Database>, nowMs: number): Promise<SnapshotDocument> {
  const document = { _id: snapshotId(nowMs), ...(await buildSnapshot(db, nowMs)) };
  await repo.insertSnapshot(db, { id: document._id, created_at: nowMs, document: JSON.stringify(document) });
  return document;
}

/**
 * History for `recap demo`: one snapshot a day for `days` days before `nowMs`, each the current
 * snapshot with its totals scaled down the further back it is (growth over the year), so the
 * console's statistics page has a year to show. A real installation builds history by living.
 */
export async function backfillDemoSnapshots(db: Kysely<Database>, days: number, nowMs = Date.now()): Promise<number> {
  const current = await buildSnapshot(db, nowMs);
  for (let back = days; back >= 1; back--) {
    const at = nowMs - back * 86_400_000;
    const share = ((days - back + 1) / (days + 1)) ** 1.5;
    const document: SnapshotDocument = { _id: snapshotId(at) };
    for (const [key, value] of Object.entries(current))
      document[key] = /^total/.test(key) && typeof value === 'number' ? Math.round(value * share) : value;
    document.createdAt = document._updatedAt = new Date(at).toISOString();
    await repo.insertSnapshot(db, { id: document._id as string, created_at: at, document: JSON.stringify(document) });
  }
  await storeSnapshot(db, nowMs);
  return days + 1;
}

/** Statistics retention (the janitor's): deletes snapshots older than `retentionDays`. */
export async function pruneSnapshots(db: Kysely<Database>, retentionDays: number, nowMs = Date.now()): Promise<number> {
  return repo.deleteSnapshotsBefore(db, nowMs - retentionDays * 86_400_000);
}

/** `refresh=true`: a snapshot now, whatever the schedule. */
export async function takeSnapshot(db: Kysely<Database>, nowMs = Date.now()): Promise<SnapshotDocument> {
  return withExclusiveLock(db, SNAPSHOT_LOCK, (trx) => storeSnapshot(trx, nowMs));
}

/**
 * The scheduled snapshot: taken when the newest is at least one interval old. Instances decide
 * under one lock from the newest stored snapshot, so several instances take one per interval.
 * Returns the snapshot taken, if any.
 */
export async function snapshotIfDue(
  db: Kysely<Database>,
  intervalMs: number,
  nowMs = Date.now(),
): Promise<SnapshotDocument | undefined> {
  return withExclusiveLock(db, SNAPSHOT_LOCK, async (trx) => {
    const newest = await repo.newestSnapshot(trx);
    if (newest && nowMs - newest.created_at < intervalMs) return undefined;
    return storeSnapshot(trx, nowMs);
  });
}

/** The newest snapshot; one is taken if none exists yet. */
export async function latestSnapshot(db: Kysely<Database>): Promise<SnapshotDocument> {
  const newest = await repo.newestSnapshot(db);
  return newest ? (JSON.parse(newest.document) as SnapshotDocument) : takeSnapshot(db);
}

export interface ListRequest {
  offset: number;
  /** 0: every match. */
  count: number;
  sort?: SortSpec | undefined;
  fields?: Projection | undefined;
  query?: Filter | undefined;
}

export interface ListResult {
  /** Each document as stored, as JSON text (projected when `fields` was given). */
  statistics: string[];
  total: number;
}

/**
 * mingo's test for a filter. parseQuery checked its operators and their operand shapes; whatever
 * mingo still refuses is the filter's fault too, so it is the caller's error, not a server fault.
 */
function matcher(filter: Filter): (document: SnapshotDocument) => boolean {
  const refuse = (error: unknown) =>
    invalidParams(`Invalid query parameter provided: ${(error as Error).message} [error-invalid-query]`, {
      errorType: 'error-invalid-query',
      helperMethod: 'parseJsonQuery',
    });
  let query: Query;
  try {
    query = new Query(filter, mingoOptions);
  } catch (error) {
    throw refuse(error);
  }
  return (document) => {
    try {
      return query.test(document);
    } catch (error) {
      throw refuse(error);
    }
  };
}

/**
 * statistics.list. SQL answers createdAt ranges, _id equality and the createdAt sort; when it
 * answers the whole request, only the requested page is read. Otherwise the snapshots within the
 * SQL bounds are scanned in batches and matched by mingo with the allow-listed operators.
 */
export async function listSnapshots(db: Kysely<Database>, request: ListRequest): Promise<ListResult> {
  const filter = request.query ?? {};
  const bounds = sqlBounds(filter);
  const order = sqlOrder(request.sort);
  const limit = request.count === 0 ? undefined : request.count;
  const project = (documents: SnapshotDocument[]) =>
    request.fields && Object.keys(request.fields).length > 0
      ? new Query({}, mingoOptions).find<SnapshotDocument>(documents, request.fields).all()
      : documents;

  if (bounds.complete && order) {
    const [total, rows] = await Promise.all([
      repo.countSnapshots(db, bounds),
      repo.pageSnapshots(db, bounds, order, request.offset, limit),
    ]);
    // Without a projection the stored text is sent as it is: no parse, no re-serialization.
    const statistics =
      request.fields && Object.keys(request.fields).length > 0
        ? project(rows.map((r) => JSON.parse(r.document) as SnapshotDocument)).map((d) => JSON.stringify(d))
        : rows.map((r) => r.document);
    return { statistics, total };
  }

  const matches: SnapshotDocument[] = [];
  const test = matcher(filter);
  for await (const row of repo.scanSnapshots(db, bounds, order ?? 'asc')) {
    const document = JSON.parse(row.document) as SnapshotDocument;
    if (test(document)) matches.push(document);
  }
  let cursor = new Query({}, mingoOptions).find<SnapshotDocument>(matches);
  if (!order && request.sort) cursor = cursor.sort(request.sort);
  if (request.offset > 0) cursor = cursor.skip(request.offset);
  if (limit !== undefined) cursor = cursor.limit(limit);
  const page = cursor.all();
  return { statistics: project(page).map((d) => JSON.stringify(d)), total: matches.length };
}

/**
 * Takes the snapshot at start when due, then checks every quarter interval (at most every minute)
 * whether one is due, and keeps this instance's heartbeat for `instanceCount`.
 */
export function startStatisticsScheduler(
  db: Kysely<Database>,
  options: { intervalMs: number; onError: (error: unknown) => void },
): PeriodicTask {
  const instanceId = randomUUID();
  const startedAt = Date.now();
  const checkEveryMs = Math.max(50, Math.min(options.intervalMs / 4, 60_000));
  const task = startPeriodic(
    async () => {
      const now = Date.now();
      await repo.heartbeat(db, instanceId, startedAt, now);
      await snapshotIfDue(db, options.intervalMs, now);
    },
    checkEveryMs,
    options.onError,
  );
  return {
    trigger: task.trigger,
    async stop() {
      await task.stop();
      await repo.removeInstance(db, instanceId).catch(options.onError);
    },
  };
}
