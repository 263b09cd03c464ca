import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ReportRow } from './repository.js';

/** The reads of the raw report export: a channel's reports in a window, by (created_at, id), and their counts. */

export interface ExportCursor {
  createdAt: number;
  id: number;
}

/** A page of the window's reports after `after`, in (created_at, id) order: one index range. */
export async function pageReports(
  db: Kysely<Database>,
  q: { channelId: number; start: number; end: number; after: ExportCursor | undefined; limit: number },
): Promise<ReportRow[]> {
  let query = db
    .selectFrom('reports')
    .selectAll()
    .where('channel_id', '=', q.channelId)
    .where('created_at', '<', q.end);
  const after = q.after;
  query = after
    ? query.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
        ]),
      )
    : query;
  return query.where('created_at', '>=', q.start).orderBy('created_at').orderBy('id').limit(q.limit).execute();
}

/** The forms the window's reports use (the CSV has a column per field of each). */
export async function formsInWindow(
  db: Kysely<Database>,
  q: { channelId: number; start: number; end: number },
): Promise<number[]> {
  const rows = await db
    .selectFrom('reports')
    .select('form_id')
    .distinct()
    .where('channel_id', '=', q.channelId)
    .where('created_at', '>=', q.start)
    .where('created_at', '<', q.end)
    .where('form_id', 'is not', null)
    .execute();
  return rows.map((r) => r.form_id!).sort((a, b) => a - b);
}

/** Reads per report, for reports of one channel. */
export async function readCounts(
  db: Kysely<Database>,
  channelId: number,
  reportIds: readonly number[],
): Promise<Map<number, number>> {
  if (reportIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('report_reads')
    .select(['report_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('channel_id', '=', channelId)
    .where('report_id', 'in', reportIds)
    .groupBy('report_id')
    .execute();
  return new Map(rows.map((r) => [r.report_id, Number(r.n)]));
}

/** Images per report. */
export async function imageCounts(db: Kysely<Database>, reportIds: readonly number[]): Promise<Map<number, number>> {
  if (reportIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('report_images')
    .select(['report_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('report_id', 'in', reportIds)
    .groupBy('report_id')
    .execute();
  return new Map(rows.map((r) => [r.report_id, Number(r.n)]));
}

export async function formNames(db: Kysely<Database>, formIds: readonly number[]) {
  if (formIds.length === 0) return [];
  return db.selectFrom('forms').select(['id', 'name']).where('id', 'in', formIds).execute();
}
