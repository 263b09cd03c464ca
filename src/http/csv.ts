import type { TSchema } from '@sinclair/typebox';
import { stringify } from 'csv-stringify/sync';
import type { FastifyRequest } from 'fastify';

/**
 * CSV twins of JSON answers: the same rows and fields, flattened to dotted columns (`styles.thumb`),
 * with a header line, RFC 4180 quoting and CRLF, UTF-8. Text cells that a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR first) get a leading `'`; numbers stay numbers.
 */

export const CSV_TYPE = 'text/csv; charset=utf-8';

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
    {
      header: true,
      columns: shown.map((c) => c.path.join('.')),
      record_delimiter: 'windows',
      escape_formulas: true,
      cast: { boolean: (value) => String(value) },
    },
  );
}
