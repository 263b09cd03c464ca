import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';

/** A CSV cell back to the JSON value it stands for: the formula guard's `'` removed, numbers as numbers. */
export function jsonValue(cell: string, like: unknown): unknown {
  if (typeof like === 'number') return Number(cell);
  if (typeof like === 'boolean') return cell === 'true';
  if (like === null || like === undefined) return cell === '' ? like : cell;
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

/** A JSON document as dotted columns (arrays as JSON text), as the CSV twins flatten it. */
export const flatten = (value: unknown, prefix = ''): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.assign({}, ...Object.entries(value).map(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k)))
    : { [prefix]: Array.isArray(value) ? JSON.stringify(value) : value };

/**
 * Asserts that CSV text holds exactly the rows of a JSON answer: CRLF records, a header, each
 * cell equal to its JSON value, and no cell a spreadsheet would run as a formula.
 */
export function assertCsvTwin(text: string, rows: readonly unknown[], label: string): string[] {
  assert.ok(text.endsWith('\r\n'), `${label}: CRLF records`);
  const [header, ...cells] = parse(text) as string[][];
  const flat = rows.map((r) => flatten(r));
  assert.equal(cells.length, flat.length, `${label}: rows`);
  for (const [i, row] of flat.entries()) {
    for (const column of Object.keys(row)) assert.ok(header!.includes(column), `${label}: no column ${column}`);
    for (const [j, column] of header!.entries())
      if (!(column in row)) assert.equal(cells[i]![j], '', `${label} row ${i}: ${column} is not in the JSON`);
    for (const [column, value] of Object.entries(row))
      assert.deepEqual(jsonValue(cells[i]![header!.indexOf(column)]!, value), value, `${label} row ${i}: ${column}`);
  }
  for (const cell of cells.flat()) assert.doesNotMatch(cell, /^[=+@\t\r]|^-(?!\d)/, `${label}: ${cell}`);
  return header!;
}
