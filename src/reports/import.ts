import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError, invalidParams } from '../http/errors.js';
import { pathOfNul } from '../http/nul-characters.js';
import { AlertBody, DeliveriesBody, OpenBody, ReadBody, ReportBody } from './schemas.js';
import { ReportChecker } from './report-checker.js';
import * as reports from './service.js';
import { CountDeltas } from './counts/count-deltas.js';
import { insertReports, type NewReport } from './repository.js';
import { reserveIds } from '../db/dialect.js';
import { queueWebhookEvent } from '../webhooks/service.js';

const REPORT_BATCH = 1000;
/** Count changes held in memory before they are written: a year of a hot channel's keys fits. */
const COUNTS_BYTES = 32 * 1024 ** 2;

/**
 * NDJSON bulk import: one object per line with a `type` and that endpoint's fields, all in one
 * transaction: a file with one bad line stores nothing, and the error names the line. Lines may
 * refer to objects created earlier in the same file through `ref` / `report_ref` / `alert_ref`.
 */

const Ref = Type.String({ minLength: 1, maxLength: 200 });
const LINE_TYPES = {
  report: Type.Object({ type: Type.Literal('report'), ref: Type.Optional(Ref), ...ReportBody.properties }),
  read: Type.Object({
    type: Type.Literal('read'),
    report_id: Type.Optional(Type.Integer({ minimum: 1 })),
    report_ref: Type.Optional(Ref),
    ...ReadBody.properties,
  }),
  alert: Type.Object({
    type: Type.Literal('alert'),
    ref: Type.Optional(Ref),
    report_ref: Type.Optional(Ref),
    ...AlertBody.properties,
    report_id: Type.Optional(AlertBody.properties.report_id),
  }),
  alert_delivery: Type.Object({
    type: Type.Literal('alert_delivery'),
    alert_id: Type.Optional(Type.Integer({ minimum: 1 })),
    alert_ref: Type.Optional(Ref),
    ...DeliveriesBody.properties,
  }),
  alert_open: Type.Object({
    type: Type.Literal('alert_open'),
    alert_id: Type.Optional(Type.Integer({ minimum: 1 })),
    alert_ref: Type.Optional(Ref),
    ...OpenBody.properties,
  }),
} satisfies Record<string, TSchema>;
type LineType = keyof typeof LINE_TYPES;
const checkers = Object.fromEntries(
  Object.entries(LINE_TYPES).map(([name, schema]) => [name, TypeCompiler.Compile(schema)]),
) as { [K in LineType]: ReturnType<typeof TypeCompiler.Compile<(typeof LINE_TYPES)[K]>> };

export interface ImportResult {
  lines: number;
  reports: number;
  reads: number;
  alerts: number;
  deliveries: number;
  opens: number;
}

type Caller = Parameters<typeof reports.createReport>[1];

/** A longer line is refused: a report line is a few hundred bytes, and a line is held whole. */
export const MAX_LINE_CHARS = 1024 * 1024;

/**
 * The input's lines, a chunk's worth at a time (`\n` or `\r\n` endings; the last line needs
 * none). Whole chunks rather than readline's promise per line: an import checks most lines
 * without waiting for anything, so it takes one turn of the event loop per chunk. Only the new
 * chunk is searched for line ends, so a long line costs its length once, not once per chunk.
 */
async function* lineChunks(input: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let done = 0;
  const tooLong = (line: number) => invalidParams(`line ${line}: longer than ${MAX_LINE_CHARS} characters`, { line });
  const take = (text: string): string[] => {
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      rest += text;
      if (rest.length > MAX_LINE_CHARS) throw tooLong(done + 1);
      return [];
    }
    const lines = (rest + text.slice(0, end)).split('\n');
    rest = text.slice(end + 1);
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      if (line.endsWith('\r')) lines[i] = line = line.slice(0, -1);
      if (line.length > MAX_LINE_CHARS) throw tooLong(done + i + 1);
    }
    done += lines.length;
    return lines;
  };
  for await (const chunk of input) {
    const lines = take(typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    if (lines.length > 0) yield lines;
  }
  rest += decoder.end();
  if (rest !== '') yield take('\n');
}

function lineError(line: number, error: unknown): never {
  if (error instanceof AppError)
    throw new AppError(error.kind, `line ${line}: ${error.message}`, { ...error.details, line });
  throw error;
}

/** Imports every line in one transaction; `onProgress` is told the lines done so far. */
export async function importNdjson(
  db: Kysely<Database>,
  caller: Caller,
  input: Readable,
  onProgress?: (lines: number) => void,
): Promise<ImportResult> {
  return db.transaction().execute(async (trx) => {
    const result: ImportResult = { lines: 0, reports: 0, reads: 0, alerts: 0, deliveries: 0, opens: 0 };
    // What each account received (an admin's file can span accounts): one `reports_imported` each.
    const byAccount = new Map<number, Omit<ImportResult, 'lines'>>();
    const tally = (accountId: number, what: keyof Omit<ImportResult, 'lines'>, n = 1) => {
      let counts = byAccount.get(accountId);
      if (!counts) byAccount.set(accountId, (counts = { reports: 0, reads: 0, alerts: 0, deliveries: 0, opens: 0 }));
      counts[what] += n;
      result[what] += n;
    };
    // Reports, the bulk of an import, take a bulk path: checked with remembered lookups, given
    // reserved ids (so later lines can name them), inserted 1,000 rows at a time, and counted in
    // memory; other lines go through the endpoints' own functions, after pending reports are in.
    const reportChecker = new ReportChecker(trx, caller);
    const counts = new CountDeltas();
    const pending: NewReport[] = [];
    let ids: number[] = [];
    let blocks = 0; // reserved ids come in growing blocks: a small file leaves no big gap in the ids
    const flushReports = async () => {
      await insertReports(trx, pending, counts);
      pending.length = 0;
      if (counts.bytes > COUNTS_BYTES) await counts.flush(trx); // bounds memory on huge files
    };
    const reportRefs = new Map<string, number>();
    const alertRefs = new Map<string, number>();
    const resolve = (
      refs: Map<string, number>,
      id: number | undefined,
      ref: string | undefined,
      what: string,
    ): number => {
      if (id !== undefined) return id;
      // Thrown inside the line's try: lineError prefixes the line number.
      if (ref === undefined) throw invalidParams(`${what}_id or ${what}_ref is required`);
      const found = refs.get(ref);
      if (found === undefined) throw invalidParams(`${what}_ref "${ref}" names no ${what} of an earlier line`);
      return found;
    };
    let line = 0;
    for await (const texts of lineChunks(input)) {
      for (const text of texts) {
        line++;
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          throw invalidParams(`line ${line}: not valid JSON`, { line });
        }
        // A raw NUL cannot be in JSON text; an escaped one can (see http/nul-characters.ts).
        if (text.includes('\\u0000') && pathOfNul(value) !== undefined)
          throw invalidParams(`line ${line}: ${pathOfNul(value)} must not contain NUL characters`, { line });
        const type = (value as { type?: unknown } | null)?.type;
        if (typeof type !== 'string' || !Object.hasOwn(LINE_TYPES, type))
          throw invalidParams(`line ${line}: type must be one of ${Object.keys(LINE_TYPES).join(', ')}`, {
            line,
            field: 'type',
          });
        const checker = checkers[type as LineType];
        if (!checker.Check(value)) {
          const first = [...checker.Errors(value)][0];
          throw invalidParams(
            `line ${line}: ${first?.path.replace(/^\//, '').replaceAll('/', '.') || 'line'} ${first?.message ?? 'is invalid'}`,
            { line },
          );
        }
        try {
          if (type !== 'report' && pending.length > 0) await flushReports();
          switch (type as LineType) {
            case 'report': {
              // The line itself is the body: the checker reads only a report's own fields.
              const body = value as Static<(typeof LINE_TYPES)['report']>;
              const checking = reportChecker.check(body);
              const checked = checking instanceof Promise ? await checking : checking;
              if (ids.length === 0)
                ids = (
                  await reserveIds<Database>(trx, 'reports', Math.min(REPORT_BATCH, 16 * 2 ** Math.min(blocks++, 6)))
                ).reverse();
              const id = ids.pop()!;
              pending.push({ id, row: checked.row, selections: checked.selections });
              const ref = body.ref;
              if (pending.length >= REPORT_BATCH) await flushReports();
              if (ref !== undefined) reportRefs.set(ref, id);
              tally(checked.row.account_id, 'reports');
              break;
            }
            case 'read': {
              const { report_id, report_ref, user_id, read_at } = value as Static<(typeof LINE_TYPES)['read']>;
              const read = await reports.addRead(trx, caller, resolve(reportRefs, report_id, report_ref, 'report'), {
                user_id,
                read_at,
              });
              tally(read.account_id, 'reads');
              break;
            }
            case 'alert': {
              const { ref, report_id, report_ref, user_ids, sent_at } = value as Static<(typeof LINE_TYPES)['alert']>;
              const alert = await reports.createAlert(trx, caller, {
                report_id: resolve(reportRefs, report_id, report_ref, 'report'),
                user_ids,
                sent_at,
              });
              if (ref !== undefined) alertRefs.set(ref, alert.id);
              tally(alert.account_id, 'alerts');
              tally(alert.account_id, 'deliveries', alert.deliveries);
              break;
            }
            case 'alert_delivery': {
              const { alert_id, alert_ref, user_ids, sent_at } = value as Static<(typeof LINE_TYPES)['alert_delivery']>;
              const alert = await reports.addDeliveries(trx, caller, resolve(alertRefs, alert_id, alert_ref, 'alert'), {
                user_ids,
                sent_at,
              });
              tally(alert.account_id, 'deliveries', alert.deliveries);
              break;
            }
            case 'alert_open': {
              const { alert_id, alert_ref, user_id, opened_at } = value as Static<(typeof LINE_TYPES)['alert_open']>;
              const { alert } = await reports.recordAlertOpen(
                trx,
                caller,
                resolve(alertRefs, alert_id, alert_ref, 'alert'),
                {
                  user_id,
                  opened_at,
                },
              );
              tally(alert.account_id, 'opens');
              break;
            }
          }
        } catch (error) {
          lineError(line, error);
        }
        result.lines = line;
        if (onProgress && line % 1000 === 0) onProgress(line);
      }
    }
    await flushReports();
    await counts.flush(trx);
    result.lines = line;
    for (const [accountId, counts] of byAccount)
      await queueWebhookEvent(trx, {
        accountId,
        event: 'reports_imported',
        payload: { import: { account_id: accountId, lines: line, ...counts } },
      });
    onProgress?.(line);
    return result;
  });
}
