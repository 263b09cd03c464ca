import { setImmediate } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { ApiClient } from '../auth/service.js';
import { withExclusiveLock } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { invalidParams, notFound } from '../http/errors.js';
import type { FetchParams } from '../recordings/service.js';
import { accountPath, type FileStorage } from '../storage/files.js';
import { startPeriodic, type PeriodicTask } from '../shared/periodic.js';
import { resolveDownload, type ResolvedDownload } from '../storage/download.js';
import { signFileToken } from '../storage/tokens.js';
import { buildAnalyticsFile, EVENT_NAMES, type StoredEvent } from './analytics-file.js';
import * as repo from './repository.js';
import type { RoomEvent } from './schemas.js';
import { queueWebhookEvent } from '../webhooks/service.js';

/** An account's analytics files live in `analytics/<account_id>/`; rows hold paths relative to it. */
export const analyticsFile = (row: Pick<repo.AnalyticsFileRow, 'account_id' | 'file_path'>): string =>
  accountPath('analytics', row.account_id, row.file_path);
const SWEEP_LOCK = 0x616e_6c79; // "anly"

export interface IngestResult {
  stored: number;
  duplicates: number;
  late: number;
  /** Sessions this batch ended (room_finished): their files are written next. */
  ended: number;
}

/** Every bad event of a batch, by index; nothing is stored when there is one. */
export function checkEvents(events: readonly RoomEvent[]): void {
  const problems = events.flatMap((e, i) =>
    EVENT_NAMES.has(e.event) ? [] : [`events[${i}]: unknown event "${e.event}"`],
  );
  if (problems.length > 0) throw invalidParams(problems.join('; '), { events: problems });
}

const valueText = (value: RoomEvent['value']) => (value === undefined ? null : String(value));

/**
 * Stores a batch in one transaction. The first event of a room_sid opens its session; events of an
 * ended or closed session are ignored (its file is final) and counted as `late`; an event whose id
 * was seen before is ignored and counted as a duplicate; `room_finished` ends the session.
 */
export async function ingestEvents(
  db: Kysely<Database>,
  accountId: number,
  events: readonly RoomEvent[],
  nowMs = Date.now(),
): Promise<IngestResult> {
  checkEvents(events);
  return db.transaction().execute(async (trx) => {
    const ids = [...new Set(events.flatMap((e) => (e.id ? [e.id] : [])))];
    const seen = await repo.existingEventIds(trx, accountId, ids);
    const sessions = new Map(
      (await repo.findSessions(trx, accountId, [...new Set(events.map((e) => e.room_sid))])).map((s) => [
        s.room_sid,
        s,
      ]),
    );
    const rows: repo.NewEvent[] = [];
    const touched = new Map<number, { last: number; title?: string | undefined; webhookUrl?: string | undefined }>();
    let duplicates = 0;
    let late = 0;
    let ended = 0;
    for (const e of events) {
      if (e.id && seen.has(e.id)) {
        duplicates++;
        continue;
      }
      if (e.id) seen.add(e.id);
      let session = sessions.get(e.room_sid);
      if (!session) {
        session = await repo.openSession(trx, {
          account_id: accountId,
          room_id: e.room_id,
          room_sid: e.room_sid,
          room_title: e.room_title ?? '',
          state: 'open',
          started_at: e.time,
          last_event_at: e.time,
          last_seen_at: nowMs,
          ended_at: null,
        });
        sessions.set(e.room_sid, session);
      }
      if (session.state !== 'open') {
        late++;
        continue;
      }
      rows.push({
        account_id: accountId,
        session_id: session.id,
        event_id: e.id ?? null,
        event: e.event,
        time: e.time,
        user_id: e.user_id ?? null,
        name: e.name ?? null,
        is_admin: e.is_admin === undefined ? null : Number(e.is_admin),
        ex_user_id: e.ex_user_id ?? null,
        value: valueText(e.value),
      });
      const t = touched.get(session.id) ?? { last: 0 };
      touched.set(session.id, {
        last: Math.max(t.last, e.time),
        title: e.room_title || t.title,
        webhookUrl: e.webhook_url || t.webhookUrl,
      });
      if (e.event === 'room_finished') {
        session.state = 'ended';
        session.ended_at = e.time;
        ended++;
      }
    }
    // The insert skips ids a concurrent batch stored after our check: count those as duplicates too.
    const stored = await repo.insertEvents(trx, rows);
    for (const [id, t] of touched)
      await repo.touchSession(trx, id, t.last, nowMs, { roomTitle: t.title, webhookUrl: t.webhookUrl });
    for (const session of sessions.values())
      if (session.state === 'ended' && session.ended_at !== null)
        await repo.endSession(trx, session.id, session.ended_at);
    return { stored, duplicates: duplicates + rows.length - stored, late, ended };
  });
}

/**
 * `ingestEvents`, then the files of the sessions the batch ended (`room_finished`) are written
 * before the caller answers, so a fetch right after lists them.
 */
export async function receiveRoomEvents(
  db: Kysely<Database>,
  storage: FileStorage,
  idleMs: number,
  accountId: number,
  events: readonly RoomEvent[],
): Promise<IngestResult> {
  const result = await ingestEvents(db, accountId, events);
  if (result.ended > 0) await closeSessions(db, storage, idleMs);
  return result;
}

const EVENTS_PAGE = 5_000;

/**
 * A session's events in time order, read a page at a time with a turn of the event loop between
 * pages: on SQLite a read blocks the process, and a meeting can have hundreds of thousands of events.
 */
async function sessionEvents(db: Kysely<Database>, sessionId: number): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  for (let after: { time: number; id: number } | undefined; ;) {
    const page = await repo.sessionEventsPage(db, sessionId, after, EVENTS_PAGE);
    for (const event of page) events.push(event);
    const last = page.at(-1);
    if (!last || page.length < EVENTS_PAGE) return events;
    after = { time: last.time, id: last.id };
    await setImmediate();
  }
}

/**
 * Ends sessions idle for longer than `idleMs`, then writes the file of every ended session and
 * closes it. Each file is written and registered under one lock, so with several instances each
 * file is written once; a session ended before a crash is written by the next run.
 */
export async function closeSessions(
  db: Kysely<Database>,
  storage: FileStorage,
  idleMs: number,
  nowMs = Date.now(),
): Promise<number> {
  await repo.endIdleSessions(db, nowMs - idleMs);
  let closed = 0;
  for (;;) {
    const batch = await repo.endedSessions(db, 50);
    if (batch.length === 0) return closed;
    for (const session of batch) {
      // An ended session takes no more events (they count as late), so its file can be built
      // before taking the lock, without holding the database while a long meeting's events are read.
      const events = await sessionEvents(db, session.id);
      const file = buildAnalyticsFile({ ...session, ended_at: session.ended_at ?? session.last_event_at }, events);
      const data = Buffer.from(JSON.stringify(file));
      const done = await withExclusiveLock(db, SWEEP_LOCK, async (trx) => {
        const fileId = session.room_sid;
        const fileName = `${session.room_sid}.json`;
        const filePath = `${encodeURIComponent(session.room_id)}/${encodeURIComponent(fileName)}`;
        if (!(await repo.closeSession(trx, session.id))) return false; // another instance did it
        // A file left by a run that crashed before its commit is this session's: replace it.
        await storage.writeBuffer(analyticsFile({ account_id: session.account_id, file_path: filePath }), data, {
          replace: true,
        });
        await repo.insertAnalyticsFile(trx, {
          account_id: session.account_id,
          file_id: fileId,
          room_id: session.room_id,
          room_sid: session.room_sid,
          file_name: fileName,
          file_path: filePath,
          file_size: data.length,
          creation_time: Math.floor(nowMs / 1000),
          room_creation_time: Math.floor(session.started_at / 1000),
          created_at: nowMs,
        });
        await queueWebhookEvent(
          trx,
          {
            accountId: session.account_id,
            event: 'analytics_proceeded',
            payload: { room: { sid: session.room_sid, room_id: session.room_id }, analytics: { file_id: fileId } },
            sessionUrl: session.webhook_url,
          },
          nowMs,
        );
        return true;
      });
      if (done) closed++;
    }
  }
}

/** A page of analytics files; `params` follow plugNmeet's paging rules, the same as for recordings (fetchParams). */
export async function fetchAnalytics(db: Kysely<Database>, accountId: number, params: FetchParams) {
  const totals = await repo.roomTotals(db, accountId, params.roomIds ?? []);
  let total = 0;
  for (const n of totals.values()) total += n;
  const rows =
    params.from < total
      ? await repo.pageByRooms(db, {
          accountId,
          roomIds: [...totals.keys()].sort(),
          direction: params.orderBy === 'ASC' ? 'asc' : 'desc',
          offset: params.from,
          limit: params.limit,
        })
      : [];
  return { total, rows };
}

/** Rooms with analytics files, by room id, with their counts and newest file. */
export async function analyticsRooms(db: Kysely<Database>, accountId: number, from: number, limit: number) {
  const [total, rows] = await Promise.all([
    repo.countAnalyticsRooms(db, accountId),
    repo.pageAnalyticsRooms(db, accountId, from, limit),
  ]);
  return {
    total,
    items: rows.map((r) => ({
      room_id: r.room_id,
      analytics_files: Number(r.total),
      total_size: Number(r.total_size),
      newest_creation_time: Number(r.newest ?? 0),
    })),
  };
}

export async function getAnalyticsFile(
  db: Kysely<Database>,
  accountId: number,
  fileId: string,
  missing = 'analytics not found',
): Promise<repo.AnalyticsFileRow> {
  const row = await repo.findAnalyticsFile(db, accountId, fileId);
  if (!row) throw notFound(missing);
  return row;
}

export function analyticsDownloadToken(
  db: Kysely<Database>,
  client: ApiClient,
  row: repo.AnalyticsFileRow,
  ttlMs: number,
): Promise<string> {
  return signFileToken(db, client, { kind: 'analytics', obj: row.id }, ttlMs);
}

/** The stored path a download token names, found from its row in the token's account. */
export const fileOfDownloadToken = (db: Kysely<Database>, token: string): Promise<ResolvedDownload> =>
  resolveDownload(db, token, 'analytics', repo.findAnalyticsFileById, analyticsFile);

/** Every stored analytics file, relative to the storage root, read by id pages (backups check them). */
export async function* analyticsStoredFiles(db: Kysely<Database>): AsyncGenerator<string> {
  for (let after = 0; ;) {
    const rows = await repo.analyticsFilesPage(db, after, 5000);
    for (const row of rows) yield analyticsFile(row);
    if (rows.length < 5000) return;
    after = rows.at(-1)!.id;
  }
}

/** The figures session analytics contribute to server statistics. */
export async function analyticsStatistics(
  db: Kysely<Database>,
): Promise<{ totalAnalyticsFiles: number; totalAnalyticsFilesSize: number }> {
  const t = await repo.analyticsTotals(db);
  return { totalAnalyticsFiles: t.files, totalAnalyticsFilesSize: t.bytes };
}

/** Closes idle sessions and writes pending files at start, then every quarter of the idle timeout (≤ 30 s). */
export function startSessionSweeper(
  db: Kysely<Database>,
  storage: FileStorage,
  options: { idleMs: number; onError: (error: unknown) => void },
): PeriodicTask {
  return startPeriodic(
    () => closeSessions(db, storage, options.idleMs),
    Math.max(50, Math.min(options.idleMs / 4, 30_000)),
    options.onError,
  );
}
