import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database, RecordingRow } from '../db/schema.js';
import { AppError, invalidParams, notFound } from '../http/errors.js';
import { TooLargeError, type FileStorage } from '../storage/files.js';
import * as repo from './repository.js';
import { getRecording, patchMetadata, recordingFile, subtitleDirectory, toRecordingInfo } from './service.js';

/**
 * The recording library as people browse it (the console, through `/api/v4/`): rooms with their
 * counts, and subtitles stored by Recap. A recording's subtitles live in
 * `subtitles/<account_id>/<recording row id>/<lang>.vtt` and go when the recording goes (service.ts).
 */

export async function recordingRooms(db: Kysely<Database>, accountId: number, from: number, limit: number) {
  const [total, rows] = await Promise.all([
    repo.countRecordingRooms(db, accountId),
    repo.pageRecordingRooms(db, accountId, from, limit),
  ]);
  return {
    total,
    items: rows.map((r) => ({
      room_id: r.room_id,
      recordings: Number(r.total),
      total_size: Number(r.total_size),
      newest_creation_time: Number(r.newest ?? 0),
    })),
  };
}

const subtitleFile = (row: Pick<RecordingRow, 'account_id' | 'id'>, lang: string) =>
  `${subtitleDirectory(row)}/${lang}.vtt`;

/** Where the API serves a recording's stored subtitle (the URL its metadata names). */
export const subtitleUrl = (recordId: string, lang: string) =>
  `/api/v4/recordings/${encodeURIComponent(recordId)}/subtitles/${lang}`;

export const MAX_SUBTITLE_BYTES = 2 * 1024 * 1024;

/** Stores a WebVTT file as the recording's subtitle in `lang` and names it in the metadata. */
export async function putSubtitle(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  recordId: string,
  subtitle: { lang: string; label: string; body: Readable | Buffer | undefined },
) {
  const row = await getRecording(db, accountId, recordId);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of subtitle.body instanceof Buffer ? [subtitle.body] : (subtitle.body ?? [])) {
    size += (chunk as Buffer).length;
    if (size > MAX_SUBTITLE_BYTES)
      throw new AppError('payload_too_large', `a subtitle file is at most ${MAX_SUBTITLE_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const data = Buffer.concat(chunks);
  // A WebVTT file starts with "WEBVTT" (after an optional byte order mark), then a space, tab or line end.
  if (!/^(\uFEFF)?WEBVTT([ \t\r\n]|$)/.test(data.subarray(0, 16).toString('utf8')))
    throw invalidParams('the body must be a WebVTT file (starting with "WEBVTT")', { field: 'body' });
  try {
    await storage.writeBuffer(subtitleFile(row, subtitle.lang), data, { replace: true });
  } catch (error) {
    if (error instanceof TooLargeError) throw new AppError('payload_too_large', error.message);
    throw error;
  }
  const metadata = patchMetadata(toRecordingInfo(row).metadata, {
    subtitles: { [subtitle.lang]: { label: subtitle.label, url: subtitleUrl(recordId, subtitle.lang) } },
  });
  await repo.updateMetadata(db, row.id, JSON.stringify(metadata));
  return metadata;
}

/** The stored path of a recording's subtitle, if Recap stores one in that language. */
export async function subtitlePath(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  recordId: string,
  lang: string,
): Promise<string> {
  const row = await getRecording(db, accountId, recordId);
  const path = subtitleFile(row, lang);
  if ((await storage.size(path)) === undefined) throw notFound(`no stored subtitle in "${lang}"`);
  return path;
}

const FILES_PAGE = 5000;

/**
 * Every stored file a recording row owns, relative to the storage root: the recording and the
 * subtitles Recap stores for it (those its metadata names by Recap's own URL). Read by id pages.
 */
export async function* recordingStoredFiles(db: Kysely<Database>): AsyncGenerator<string> {
  for (let after = 0; ;) {
    const rows = await repo.recordingFilesPage(db, after, FILES_PAGE);
    for (const row of rows) {
      yield recordingFile(row);
      const subtitles = (JSON.parse(row.metadata) as { subtitles?: Record<string, { url: string }> }).subtitles ?? {};
      for (const [lang, subtitle] of Object.entries(subtitles))
        if (subtitle.url === subtitleUrl(row.record_id, lang)) yield `${subtitleDirectory(row)}/${lang}.vtt`;
    }
    if (rows.length < FILES_PAGE) return;
    after = rows.at(-1)!.id;
  }
}
