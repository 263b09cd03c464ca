import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import { namesOfUsers } from '../auth/service.js';
import type { Database } from '../db/schema.js';
import { CSV_OPTIONS } from '../http/csv.js';
import { invalidParams } from '../http/errors.js';
import { parseInstant, toIso } from '../shared/time.js';
import { getChannel, type Caller } from './access.js';
import * as exportRepo from './export.repository.js';
import { fieldsOfForms, stateNames, type FieldRow, type OptionRow, type ReportRow } from './repository.js';
import type { FieldValue, ReportsExportQuery } from './schemas.js';

/**
 * The raw report export (`GET /api/v4/reports`): a channel's reports in a window, oldest first,
 * paged by an opaque cursor (JSON), or as one CSV file streamed a page at a time, so a
 * channel-year of any size is sent with bounded memory.
 */

export const EXPORT_LIMIT = { default: 100, max: 1000 } as const;
const CSV_PAGE = 2000;
const MAX_RANGE_MS = 10 * 366 * 86_400_000;

export interface ExportWindow {
  channelId: number;
  accountId: number;
  start: number;
  end: number;
}

export async function openExport(db: Kysely<Database>, caller: Caller, q: ReportsExportQuery): Promise<ExportWindow> {
  const start = parseInstant(q.start_date);
  const end = parseInstant(q.end_date);
  if (start === undefined)
    throw invalidParams('start_date must be an ISO 8601 timestamp with Z or an offset', { field: 'start_date' });
  if (end === undefined)
    throw invalidParams('end_date must be an ISO 8601 timestamp with Z or an offset', { field: 'end_date' });
  if (start >= end) throw invalidParams('start_date must be before end_date', { field: 'start_date' });
  if (end - start > MAX_RANGE_MS) throw invalidParams('the range is at most 10 years', { field: 'end_date' });
  const channel = await getChannel(db, caller, q.channel_id);
  return { channelId: channel.id, accountId: channel.account_id, start, end };
}

const encodeCursor = (c: exportRepo.ExportCursor) => Buffer.from(`${c.createdAt}.${c.id}`).toString('base64url');

function decodeCursor(text: string | undefined): exportRepo.ExportCursor | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('latin1'));
  if (!match) throw invalidParams('cursor is not one this endpoint gave', { field: 'cursor' });
  return { createdAt: Number(match[1]), id: Number(match[2]) };
}

/** Fields and options of some forms, to read reports' values without a query per report. */
class FormShapes {
  private constructor(
    readonly fields: FieldRow[],
    private readonly options: Map<number, OptionRow>,
  ) {}

  static async load(db: Kysely<Database>, formIds: readonly number[]): Promise<FormShapes> {
    const { fields, options } = await fieldsOfForms(db, formIds);
    return new FormShapes(fields, new Map(options.map((o) => [o.id, o])));
  }

  /** A report's values by field id, choices as option values (as `GET /api/v4/reports/:id` gives them). */
  values(row: ReportRow, show: (o: OptionRow) => string = (o) => o.value): Record<string, FieldValue> {
    const values = (row.field_values === null ? {} : JSON.parse(row.field_values)) as Record<string, FieldValue>;
    for (const id of row.option_ids === null ? [] : (JSON.parse(row.option_ids) as number[])) {
      const option = this.options.get(id);
      if (!option) continue;
      const key = String(option.field_id);
      const checkbox = this.fields.find((f) => f.id === option.field_id)?.field_type === 'Checkbox';
      values[key] = checkbox ? [...((values[key] as string[] | undefined) ?? []), show(option)] : show(option);
    }
    return values;
  }
}

async function countsOf(db: Kysely<Database>, w: ExportWindow, rows: readonly ReportRow[]) {
  const ids = rows.map((r) => r.id);
  const [reads, images] = await Promise.all([
    exportRepo.readCounts(db, w.channelId, ids),
    exportRepo.imageCounts(db, ids),
  ]);
  return { reads, images };
}

/** A JSON page: `{items, next_cursor}`, `next_cursor` absent on the last page. */
export async function exportPage(db: Kysely<Database>, w: ExportWindow, limit: number, cursor: string | undefined) {
  const rows = await exportRepo.pageReports(db, { ...w, after: decodeCursor(cursor), limit: limit + 1 });
  const page = rows.slice(0, limit);
  const shapes = await FormShapes.load(db, [...new Set(page.flatMap((r) => (r.form_id === null ? [] : [r.form_id])))]);
  const { reads, images } = await countsOf(db, w, page);
  const last = page.at(-1);
  return {
    items: page.map((r) => ({
      id: r.id,
      account_id: r.account_id,
      channel_id: r.channel_id,
      form_id: r.form_id,
      user_id: r.user_id,
      state_id: r.state_id,
      created_at: toIso(r.created_at),
      values: shapes.values(r),
      reads: reads.get(r.id) ?? 0,
      images: images.get(r.id) ?? 0,
    })),
    ...(rows.length > limit && last ? { next_cursor: encodeCursor({ createdAt: last.created_at, id: last.id }) } : {}),
  };
}

/**
 * The whole window as CSV: id, created_at, user, state, form, reads, images, then `<form>.<field>`
 * for every field of the forms the window's reports use (choices by option name, a Checkbox's
 * joined with "; "). Read and written a page at a time, as fast as the client takes it.
 */
export async function exportCsv(db: Kysely<Database>, w: ExportWindow): Promise<Readable> {
  const formIds = await exportRepo.formsInWindow(db, w);
  const shapes = await FormShapes.load(db, formIds);
  const formNames = new Map((await exportRepo.formNames(db, formIds)).map((f) => [f.id, f.name]));
  const seen = new Set<string>();
  const fieldColumns = shapes.fields.map((f) => {
    let name = `${formNames.get(f.form_id) ?? f.form_id}.${f.name}`;
    if (seen.has(name)) name = `${name} (#${f.id})`;
    seen.add(name);
    return { id: String(f.id), name };
  });
  const header = [
    'id',
    'created_at',
    'user_id',
    'user',
    'state',
    'form',
    'reads',
    'images',
    ...fieldColumns.map((c) => c.name),
  ];
  async function* chunks() {
    yield stringify([], { ...CSV_OPTIONS, columns: header });
    for (let after: exportRepo.ExportCursor | undefined; ;) {
      const rows = await exportRepo.pageReports(db, { ...w, after, limit: CSV_PAGE });
      if (rows.length === 0) return;
      const [{ reads, images }, users, states] = await Promise.all([
        countsOf(db, w, rows),
        namesOfUsers(db, [...new Set(rows.map((r) => r.user_id))]),
        stateNames(db, [...new Set(rows.flatMap((r) => (r.state_id === null ? [] : [r.state_id])))]),
      ]);
      const lines = rows.map((r) => {
        const values = shapes.values(r, (o) => o.name);
        const user = users.get(r.user_id);
        return [
          r.id,
          toIso(r.created_at),
          r.user_id,
          user ? `${user.first_name} ${user.last_name}`.trim() : '',
          r.state_id === null ? '' : (states.get(r.state_id) ?? ''),
          r.form_id === null ? '' : (formNames.get(r.form_id) ?? ''),
          reads.get(r.id) ?? 0,
          images.get(r.id) ?? 0,
          ...fieldColumns.map((c) => {
            const value = values[c.id];
            return Array.isArray(value) ? value.join('; ') : value;
          }),
        ];
      });
      yield stringify(lines, { ...CSV_OPTIONS, header: false });
      const last = rows.at(-1)!;
      after = { createdAt: last.created_at, id: last.id };
      if (rows.length < CSV_PAGE) return;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
