import { type Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { ApiClient } from '../auth/service.js';
import { atomically, isUniqueViolation } from '../db/dialect.js';
import type { Database, RecordingRow } from '../db/schema.js';
import { AppError, invalidParams, notFound } from '../http/errors.js';
import { accountPath, FileExistsError, isSafeRelativePath, TooLargeError, type FileStorage } from '../storage/files.js';
import { resolveDownload, type ResolvedDownload } from '../storage/download.js';
import { signFileToken, verifyFileToken } from '../storage/tokens.js';
import { findInTrash } from '../storage/trash.js';
import { formatRoomTime, pastRoomOfSession, sessionWebhookUrl } from '../sessions/past-rooms.js';
import { queueWebhookEvent } from '../webhooks/service.js';
import { pageParams, type PageParams } from '../http/plugnmeet.js';
import type { PastRoomInfo } from '../sessions/schemas.js';
import * as repo from './repository.js';
import type {
  AddBody,
  FetchBody,
  RecordingInfo,
  RecordingMetadata,
  RecordingMetadataInput,
  UploadTokenBody,
} from './schemas.js';

/** An account's recording files live in `recordings/<account_id>/`; rows hold paths relative to it. */
export const recordingFile = (row: Pick<RecordingRow, 'account_id' | 'file_path'>): string =>
  accountPath('recordings', row.account_id, row.file_path);
const accountDirectory = (accountId: number) => `recordings/${accountId}`;
/** The subtitles Recap stores for a recording (library.ts): they go when the recording goes. */
export const subtitleDirectory = (row: Pick<RecordingRow, 'account_id' | 'id'>) =>
  accountPath('subtitles', row.account_id, String(row.id));

/** From this offset on, a page is located through the per-day counters instead of walking rows. */
const DEEP_PAGE_OFFSET = 1000;

const EMPTY_METADATA: RecordingMetadata = { title: '', description: '', subtitles: {}, extra_data: {} };

export function toRecordingInfo(row: repo.ListedRecording): RecordingInfo {
  return {
    record_id: row.record_id,
    room_id: row.room_id,
    room_sid: row.room_sid,
    file_path: row.file_path,
    file_size: row.file_size,
    creation_time: row.creation_time,
    room_creation_time: row.room_creation_time,
    // Absent keys are filled, so rows written by imports or older versions always serialize.
    metadata: { ...EMPTY_METADATA, ...(JSON.parse(row.metadata) as Partial<RecordingMetadata>) },
  };
}

export interface FetchParams extends PageParams {
  roomIds: string[] | undefined;
  roomSid: string | undefined;
}

/** The rooms or session asked for, and plugNmeet's paging (pageParams). */
export function fetchParams(
  body: Pick<FetchBody, 'room_ids' | 'from' | 'limit' | 'order_by'> & { room_sid?: string | undefined },
): FetchParams {
  if (!body.room_ids && !body.room_sid) throw invalidParams('room_ids is required (or room_sid)');
  return { roomIds: body.room_ids && [...new Set(body.room_ids)], roomSid: body.room_sid, ...pageParams(body) };
}

/**
 * A page of recordings and the total that matches. Totals come from per-room counters; the page
 * from a lazy merge of per-room index reads; a deep page first finds its day from per-day counters.
 */
export async function fetchRecordings(
  db: Kysely<Database>,
  accountId: number,
  p: FetchParams,
): Promise<{ total: number; rows: repo.ListedRecording[] }> {
  const direction = p.orderBy === 'ASC' ? 'asc' : 'desc';
  if (p.roomSid !== undefined) {
    // One session's recordings: few rows, read straight from the session index.
    const total = await repo.countBySession(db, accountId, p.roomSid, p.roomIds);
    const rows =
      total > p.from
        ? await repo.pageBySession(db, {
            accountId,
            roomSid: p.roomSid,
            roomIds: p.roomIds,
            direction,
            offset: p.from,
            limit: p.limit,
          })
        : [];
    return { total, rows };
  }
  if (p.from >= DEEP_PAGE_OFFSET) return deepPage(db, accountId, p, direction);
  const { total, roomIds } = withRecordings(await repo.roomTotals(db, accountId, p.roomIds ?? []));
  if (p.from >= total) return { total, rows: [] };
  const rows = await repo.pageByRooms(db, { accountId, roomIds, direction, offset: p.from, limit: p.limit });
  return { total, rows };
}

/** The recordings the rooms' totals count, and the rooms that have any, sorted (one query text per count). */
function withRecordings(totals: Map<string, number>): { total: number; roomIds: string[] } {
  let total = 0;
  for (const n of totals.values()) total += n;
  return { total, roomIds: [...totals.keys()].sort() };
}

/**
 * A page far down the list: whole 32-day spans are skipped, then whole days of that span, and the
 * merge starts at the day found. The totals and the span's days are read at once (one statement
 * finds the span and its days: two round trips before the page, not three).
 */
async function deepPage(
  db: Kysely<Database>,
  accountId: number,
  p: FetchParams,
  direction: repo.Direction,
): Promise<{ total: number; rows: repo.ListedRecording[] }> {
  const requested = [...(p.roomIds ?? [])].sort();
  const [totals, span] = await Promise.all([
    repo.roomTotals(db, accountId, requested),
    repo.daysAtPosition(db, accountId, requested, direction, p.from),
  ]);
  const { total, roomIds } = withRecordings(totals);
  if (p.from >= total) return { total, rows: [] };
  const day = locate(span.days, p.from - span.skipped);
  let before: number | undefined;
  let notBefore: number | undefined;
  if (direction === 'desc') before = (day.period + 1) * repo.SECONDS_PER_DAY;
  else notBefore = day.period * repo.SECONDS_PER_DAY;
  const offset = p.from - span.skipped - day.skipped;
  const rows = await repo.pageByRooms(db, { accountId, roomIds, direction, offset, limit: p.limit, before, notBefore });
  return { total, rows };
}

/**
 * The period holding position `position` of a list counted by period (in list order), and how
 * many items come before it. Counters read by separate statements may be out of step while a
 * write commits between them: a position past their sum falls in the last period (the page then
 * starts past its end and comes out short or empty) rather than failing the request.
 */
function locate(periods: repo.CountedPeriod[], position: number): { period: number; skipped: number } {
  let skipped = 0;
  for (const { period, total } of periods) {
    if (skipped + Number(total) > position) return { period, skipped };
    skipped += Number(total);
  }
  const last = periods.at(-1);
  return last ? { period: last.period, skipped: skipped - Number(last.total) } : { period: 0, skipped: 0 };
}

/**
 * recording/info's room_info: the past room of the recording's session (plugNmeet-server's
 * RecordingInfo), or, when Recap has no such session (an `add` of a file recorded elsewhere), the
 * room as the recording names it.
 */
export async function roomOfRecording(
  db: Kysely<Database>,
  accountId: number,
  row: RecordingRow,
): Promise<PastRoomInfo> {
  return (
    (await pastRoomOfSession(db, accountId, row.room_sid)) ?? {
      room_title: row.room_title,
      room_id: row.room_id,
      room_sid: row.room_sid,
      joined_participants: 0,
      webhook_url: '',
      created: formatRoomTime(row.room_creation_time * 1000, 'sql'),
      ended: '',
    }
  );
}

export async function getRecording(db: Kysely<Database>, accountId: number, recordId: string): Promise<RecordingRow> {
  const row = await repo.findRecording(db, accountId, recordId);
  if (!row) throw notFound('recording not found');
  return row;
}

/**
 * plugNmeet's patch semantics: an omitted field is kept; `""` clears title or description; a
 * subtitle with an empty label or url is removed; an extra_data value `""` removes the key.
 */
export function patchMetadata(current: RecordingMetadata, patch: RecordingMetadataInput): RecordingMetadata {
  const next: RecordingMetadata = {
    ...current,
    subtitles: { ...current.subtitles },
    extra_data: { ...current.extra_data },
  };
  if (patch.title !== undefined) next.title = patch.title;
  if (patch.description !== undefined) next.description = patch.description;
  for (const [lang, subtitle] of Object.entries(patch.subtitles ?? {})) {
    if (!subtitle.label || !subtitle.url) delete next.subtitles[lang];
    else next.subtitles[lang] = { label: subtitle.label, url: subtitle.url };
  }
  for (const [key, value] of Object.entries(patch.extra_data ?? {})) {
    if (value === '') delete next.extra_data[key];
    else next.extra_data[key] = value;
  }
  return next;
}

export async function updateRecordingMetadata(
  db: Kysely<Database>,
  accountId: number,
  recordId: string,
  patch: RecordingMetadataInput,
): Promise<RecordingMetadata> {
  const row = await getRecording(db, accountId, recordId);
  const next = patchMetadata(toRecordingInfo(row).metadata, patch);
  await repo.updateMetadata(db, row.id, JSON.stringify(next));
  return next;
}

export function downloadToken(
  db: Kysely<Database>,
  client: ApiClient,
  row: RecordingRow,
  ttlMs: number,
): Promise<string> {
  return signFileToken(db, client, { kind: 'recording', obj: row.id }, ttlMs);
}

/** The stored path a download token names, found from its row in the token's account. */
export const fileOfDownloadToken = (db: Kysely<Database>, token: string): Promise<ResolvedDownload> =>
  resolveDownload(db, token, 'recording', repo.findRecordingById, recordingFile);

type Registration = Omit<AddBody, 'file_size'> & { file_size: number };

/** The fields a retry must repeat exactly for `add` to be idempotent. */
function sameRegistration(row: RecordingRow, r: Registration): boolean {
  const given: [unknown, unknown][] = [
    [row.room_id, r.room_id],
    [row.room_sid, r.room_sid],
    [row.file_path, r.file_path],
    [row.file_size, r.file_size],
  ];
  if (r.creation_time !== undefined) given.push([row.creation_time, r.creation_time]);
  if (r.room_creation_time !== undefined) given.push([row.room_creation_time, r.room_creation_time]);
  if (r.room_title !== undefined) given.push([row.room_title, r.room_title]);
  if (r.metadata !== undefined) given.push([row.metadata, JSON.stringify(patchMetadata(EMPTY_METADATA, r.metadata))]);
  return given.every(([a, b]) => a === b);
}

/**
 * Registers a recording whose file is already stored. The same record_id with the same data is
 * accepted again (idempotent); with different data it is refused.
 */
export async function registerRecording(
  db: Kysely<Database>,
  accountId: number,
  r: Registration,
  nowMs = Date.now(),
): Promise<RecordingRow> {
  const recordId = r.record_id ?? `${r.room_sid}-${nowMs}`;
  const trashed = await findInTrash(db, accountId, 'recording', recordId);
  if (trashed)
    throw invalidParams(
      `record_id "${recordId}" is in the trash until ${new Date(trashed.purge_at).toISOString()}: restore it, or wait until it is purged`,
    );
  const existing = await repo.findRecording(db, accountId, recordId);
  if (existing) {
    if (sameRegistration(existing, r)) return existing;
    throw invalidParams(`record_id "${recordId}" exists with different data`);
  }
  const owner = await repo.findRecordingByPath(db, accountId, r.file_path);
  if (owner) throw pathTaken(r.file_path, owner.record_id);
  const creation = r.creation_time ?? Math.floor(nowMs / 1000);
  try {
    return await atomically(db, async (trx) => {
      const row = await repo.insertRecording(trx, {
        account_id: accountId,
        record_id: recordId,
        room_id: r.room_id,
        room_sid: r.room_sid,
        room_title: r.room_title ?? '',
        file_path: r.file_path,
        file_size: r.file_size,
        creation_time: creation,
        room_creation_time: r.room_creation_time ?? creation,
        metadata: JSON.stringify(patchMetadata(EMPTY_METADATA, r.metadata ?? {})),
        created_at: nowMs,
      });
      await queueWebhookEvent(
        trx,
        {
          accountId,
          event: 'recording_proceeded',
          payload: {
            room: { sid: row.room_sid, room_id: row.room_id },
            recording_info: { record_id: row.record_id, file_path: row.file_path, file_size: row.file_size },
          },
          sessionUrl: await sessionWebhookUrl(trx, accountId, row.room_sid),
        },
        nowMs,
      );
      return row;
    });
  } catch (error) {
    // Two identical registrations at once: the loser answers like a retry.
    if (!isUniqueViolation(error)) throw error;
    const winner = await repo.findRecording(db, accountId, recordId);
    if (winner && sameRegistration(winner, r)) return winner;
    if (winner) throw invalidParams(`record_id "${recordId}" exists with different data`);
    throw pathTaken(r.file_path, (await repo.findRecordingByPath(db, accountId, r.file_path))?.record_id);
  }
}

/** A stored file has one owner: deleting a recording removes its own file and no other's. */
const pathTaken = (path: string, recordId: string | undefined) =>
  invalidParams(`file_path "${path}" is already registered${recordId ? ` as record_id "${recordId}"` : ''}`);

/** `add`: the file must already be in the account's recordings directory; its size is checked. */
export async function addRecording(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  body: AddBody,
): Promise<RecordingRow> {
  const inside = 'file_path must be a relative path inside the recordings directory of this account';
  if (!isSafeRelativePath(body.file_path)) throw invalidParams(inside);
  if (!(await storage.isPlainFileInside(accountDirectory(accountId), body.file_path)))
    throw invalidParams(`file_path "${body.file_path}" is not a file in the recordings directory of this account`);
  const size = await storage.size(accountPath('recordings', accountId, body.file_path));
  if (size === undefined)
    throw invalidParams(`file_path "${body.file_path}" is not a file in the recordings directory of this account`);
  if (body.file_size !== undefined && body.file_size !== size)
    throw invalidParams(`file_size ${body.file_size} does not match the file (${size} bytes)`);
  return registerRecording(db, accountId, { ...body, file_size: size });
}

/** Path segments from user input: percent-encoded so they can never name another directory. */
const segment = (value: string) => encodeURIComponent(value).replace(/^\.+$/, (dots) => dots.replaceAll('.', '%2E'));

type UploadRegistration = Omit<UploadTokenBody, 'record_id'> & { record_id: string };

/** An upload token carries what registers the file once it has arrived; never a path. */
export async function uploadToken(
  db: Kysely<Database>,
  client: ApiClient,
  body: UploadTokenBody,
  ttlMs: number,
  nowMs = Date.now(),
): Promise<{ token: string; recordId: string }> {
  if (body.file_name === '.' || body.file_name === '..') throw invalidParams('file_name is not a file name');
  const recordId = body.record_id ?? `${body.room_sid}-${nowMs}`;
  const data: UploadRegistration = { ...body, record_id: recordId };
  return { token: await signFileToken(db, client, { kind: 'upload', data }, ttlMs, nowMs), recordId };
}

/** Where an upload is stored, in the account's directory: `<room_id>/<record_id>/<file_name>`. */
const uploadPath = (data: UploadRegistration) =>
  `${segment(data.room_id)}/${segment(data.record_id)}/${segment(data.file_name)}`;

const isUploadRegistration = (data: unknown): data is UploadRegistration =>
  typeof data === 'object' &&
  data !== null &&
  ['room_id', 'room_sid', 'record_id', 'file_name'].every(
    (key) => typeof (data as Record<string, unknown>)[key] === 'string',
  );

/**
 * `PUT /upload/recording/:token`: streams the body to its place in the token's account (atomically,
 * never over another file), then registers it. A token already used answers the registered
 * recording without writing again.
 */
export async function receiveUpload(
  db: Kysely<Database>,
  storage: FileStorage,
  token: string,
  body: Readable | undefined,
  limits: { maxBytes: number; declaredBytes: number },
): Promise<RecordingRow> {
  const check = await verifyFileToken(db, token, 'upload');
  if (!check.ok) throw new AppError('unauthorized', check.reason === 'expired' ? 'token expired' : 'invalid token');
  const data = check.claims.data;
  if (!isUploadRegistration(data)) throw new AppError('unauthorized', 'invalid token');
  const { maxBytes } = limits;
  if (limits.declaredBytes > maxBytes) throw new AppError('payload_too_large', `upload exceeds ${maxBytes} bytes`);
  if (!body) throw invalidParams('empty upload: send the file as the request body');
  const accountId = check.claims.acc;
  const existing = await repo.findRecording(db, accountId, data.record_id);
  if (existing) return existing;
  const { file_name: _fileName, ...registration } = data;
  const filePath = uploadPath(data);
  const stored = accountPath('recordings', accountId, filePath);
  let size: number;
  try {
    size = await storage.write(stored, body, maxBytes);
  } catch (error) {
    if (error instanceof TooLargeError) throw new AppError('payload_too_large', error.message);
    if (error instanceof FileExistsError) {
      // The same token twice at once: the first answers the recording; this one does too.
      const winner = await repo.findRecording(db, accountId, data.record_id);
      if (winner) return winner;
      throw pathTaken(filePath, (await repo.findRecordingByPath(db, accountId, filePath))?.record_id);
    }
    throw error;
  }
  try {
    // A chunked body can be empty too; a 0-byte file is no recording.
    if (size === 0) throw invalidParams('empty upload: send the file as the request body');
    return await registerRecording(db, accountId, { ...registration, file_path: filePath, file_size: size });
  } catch (error) {
    await storage.remove(stored).catch(() => undefined);
    throw error;
  }
}

export interface RecordingStatistics {
  totalRecordings: number;
  totalRecordingsSize: number;
  totalRecordingRooms: number;
}

/** The figures recordings contribute to server statistics. */
export async function recordingStatistics(db: Kysely<Database>): Promise<RecordingStatistics> {
  const totals = await repo.recordingTotals(db);
  return { totalRecordings: totals.recordings, totalRecordingsSize: totals.bytes, totalRecordingRooms: totals.rooms };
}
