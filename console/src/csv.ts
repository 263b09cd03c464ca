import { stringify } from 'csv-stringify/browser/esm/sync';

/**
 * A panel's CSV when what it shows is not one API answer (two periods side by side, names joined
 * in): built here with the same library and rules as the API's CSV twins (src/http/csv.ts).
 */
export function downloadCsv(fileName: string, header: string[], rows: unknown[][]): void {
  const text = stringify(rows, {
    header: true,
    columns: header,
    record_delimiter: 'windows',
    escape_formulas: true,
  });
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
