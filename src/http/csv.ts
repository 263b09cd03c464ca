import type { TObject, TSchema } from '@sinclair/typebox';
import contentDisposition from 'content-disposition';
import { stringify } from 'csv-stringify/sync';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * CSV twins of JSON answers: the same rows and fields, flattened to dotted columns (`styles.thumb`),
 * with a header line, RFC 4180 quoting and CRLF, UTF-8. Text cells that a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR first) get a leading `'`; numbers stay numbers.
 */

export const CSV_TYPE = 'text/csv; charset=utf-8';

/** The options of every CSV Recap writes. */
export const CSV_OPTIONS = {
  header: true,
  record_delimiter: 'windows',
  escape_formulas: true,
  cast: { boolean: (value: boolean) => String(value) },
} as const;

/** Whether a request asks for CSV: `format=csv`, or `text/csv` as the first type it accepts. */
export function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as { format?: unknown } | undefined)?.format;
  if (format !== undefined) return format === 'csv';
  const first = (request.headers.accept ?? '').split(',')[0]!.trim().toLowerCase();
  return first.startsWith('text/csv');
}

interface Column {
  path: string[];
  optional: boolean;
}

/** The columns a response schema describes: an array's items or an object, nested objects flattened. */
export function columnsOf(schema: TSchema, prefix: string[] = [], optional = false): Column[] {
  const s = schema as { type?: string; items?: TSchema; properties?: Record<string, TSchema>; required?: string[] };
  if (s.type === 'array' && s.items && prefix.length === 0) return columnsOf(s.items);
  if (s.type === 'object' && s.properties)
    return Object.entries(s.properties).flatMap(([name, child]) =>
      columnsOf(child, [...prefix, name], optional || !(s.required ?? []).includes(name)),
    );
  return [{ path: prefix, optional }];
}

const cell = (value: unknown): unknown => (Array.isArray(value) ? value.join('; ') : value);

/**
 * The CSV of a JSON answer (already shaped by its response schema). Optional columns appear when
 * some row has them, or when `requested` names them (an empty answer still has its header).
 */
export function toCsv(answer: unknown, columns: readonly Column[], requested: readonly string[] = []): string {
  const rows = (Array.isArray(answer) ? answer : [answer]) as Record<string, unknown>[];
  const valueAt = (row: Record<string, unknown>, path: string[]) =>
    path.reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined),
      row,
    );
  const shown = columns.filter(
    (c) =>
      !c.optional || requested.includes(c.path.join('.')) || rows.some((row) => valueAt(row, c.path) !== undefined),
  );
  return stringify(
    rows.map((row) => shown.map((c) => cell(valueAt(row, c.path)))),
    { ...CSV_OPTIONS, columns: shown.map((c) => c.path.join('.')) },
  );
}

/** A document as dotted columns: nested objects are walked, arrays kept whole as JSON text. */
export function flattenRecord(value: Record<string, unknown>, prefix = '', into: Record<string, unknown> = {}) {
  for (const [key, child] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (child !== null && typeof child === 'object' && !Array.isArray(child))
      flattenRecord(child as Record<string, unknown>, name, into);
    else into[name] = Array.isArray(child) ? JSON.stringify(child) : child;
  }
  return into;
}

/** The fields of an object schema that are not objects themselves: a list's columns even when it is empty. */
export const scalarFieldsOf = (schema: TObject): string[] =>
  Object.entries(schema.properties)
    .filter(([, field]) => (field as TSchema).type !== 'object')
    .map(([name]) => name);

/**
 * The CSV of documents whose fields vary (statistics snapshots, recordings with their subtitles):
 * one column per dotted path any of them has, in the order first seen; `leading` columns first.
 */
export function recordsToCsv(records: readonly Record<string, unknown>[], leading: readonly string[] = []): string {
  const rows = records.map((r) => flattenRecord(r));
  const columns = [...new Set([...leading, ...rows.flatMap((r) => Object.keys(r))])];
  return stringify(
    rows.map((row) => columns.map((c) => row[c])),
    { ...CSV_OPTIONS, columns },
  );
}

/** A channel window's CSV file name: `<what>_channel-<id>_<start day>_<end day>` (UTC days). */
export const windowFileName = (what: string, w: { channelId: number; start: number; end: number }) => {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return `${what}_channel-${w.channelId}_${day(w.start)}_${day(w.end)}`;
};

/** Sets the attachment header of a CSV download. */
export const csvAttachment = (name: string) => contentDisposition(`${name}.csv`);

/** Sends CSV (text, or a stream of it) as an attachment named `<name>.csv`; the route's JSON schema does not apply. */
export function sendCsv(reply: FastifyReply, name: string, body: string | Readable): FastifyReply {
  return reply.header('content-disposition', csvAttachment(name)).type(CSV_TYPE).send(body);
}
