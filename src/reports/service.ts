import type { Kysely } from 'kysely';
import type { AuthUser } from '../auth/service.js';
import { canAccessAccount, hasPermission } from '../auth/permissions.js';
import { atomically } from '../db/dialect.js';
import type { Database, FieldType } from '../db/schema.js';
import { forbidden, invalidParams, notFound } from '../http/errors.js';
import { parseInstant } from '../shared/time.js';
import * as repo from './repository.js';
import type { FieldValue, FormBody, ReportBody } from './schemas.js';

/** Field types whose values are options; only single-choice ones have per-option analytics. */
export const CHOICE_TYPES: ReadonlySet<FieldType> = new Set(['Category', 'DropDown', 'Radio', 'Checkbox']);

type Caller = Pick<AuthUser, 'userId' | 'accountId' | 'roles'>;

/** A row of another account is "not found", exactly like a missing one (no existence leak). */
function visible<T extends { account_id: number }>(caller: Caller, row: T | undefined, what: string): T {
  if (!row || !canAccessAccount(caller, row.account_id)) throw notFound(`${what} not found`);
  return row;
}

function instant(value: string | undefined, field: string, nowMs: number): number {
  if (value === undefined) return nowMs;
  const ms = parseInstant(value);
  if (ms === undefined) throw invalidParams(`${field} must be an ISO 8601 timestamp with Z or an offset`, { field });
  return ms;
}

/** The user an action is recorded for: the caller, or (with `permission`) another user of the account. */
async function actingUser(
  db: Kysely<Database>,
  caller: Caller,
  accountId: number,
  userId: number | undefined,
  permission: 'manage-reports' | 'send-alerts',
): Promise<number> {
  if (userId === undefined || userId === caller.userId) return caller.userId;
  if (!hasPermission(caller, permission)) throw forbidden(`acting for another user needs ${permission}`);
  if (!(await repo.usersInAccount(db, accountId, [userId])).has(userId)) throw notFound('user not found');
  return userId;
}

export const getChannel = async (db: Kysely<Database>, caller: Caller, id: number) =>
  visible(caller, await repo.findNamed(db, 'channels', id), 'channel');

export async function createNamed(
  db: Kysely<Database>,
  table: 'channels' | 'states',
  accountId: number,
  name: string,
  nowMs = Date.now(),
) {
  return repo.insertNamed(db, table, { account_id: accountId, name, created_at: nowMs });
}

export interface FormView {
  id: number;
  account_id: number;
  channel_id: number;
  name: string;
  created_at: number;
  fields: { id: number; name: string; field_type: string; options: { id: number; name: string; value: string }[] }[];
}

async function formViews(db: Kysely<Database>, forms: repo.FormRow[]): Promise<FormView[]> {
  const { fields, options } = await repo.fieldsOfForms(
    db,
    forms.map((f) => f.id),
  );
  return forms.map((form) => ({
    ...form,
    fields: fields
      .filter((f) => f.form_id === form.id)
      .map((f) => ({
        id: f.id,
        name: f.name,
        field_type: f.field_type,
        options: options.filter((o) => o.field_id === f.id).map((o) => ({ id: o.id, name: o.name, value: o.value })),
      })),
  }));
}

/** A form and its fields in one transaction; choice fields need options, others may have none. */
export async function createForm(
  db: Kysely<Database>,
  caller: Caller,
  body: FormBody,
  nowMs = Date.now(),
): Promise<FormView> {
  const channel = await getChannel(db, caller, body.channel_id);
  body.fields.forEach((field, i) => {
    const choice = CHOICE_TYPES.has(field.field_type);
    if (choice && !field.options)
      throw invalidParams(`fields[${i}].options: a ${field.field_type} field needs options`, {
        field: `fields[${i}].options`,
      });
    if (!choice && field.options)
      throw invalidParams(`fields[${i}].options: a ${field.field_type} field has no options`, {
        field: `fields[${i}].options`,
      });
    const values = (field.options ?? []).flatMap((o) => (o.value === undefined ? [] : [o.value]));
    if (new Set(values).size !== values.length)
      throw invalidParams(`fields[${i}].options: values must be unique`, { field: `fields[${i}].options` });
  });
  const form = await atomically(db, async (trx) => {
    const row = await repo.insertForm(trx, {
      account_id: channel.account_id,
      channel_id: channel.id,
      name: body.name,
      created_at: nowMs,
    });
    for (const [position, field] of body.fields.entries()) {
      const fieldRow = await repo.insertField(trx, {
        account_id: channel.account_id,
        form_id: row.id,
        name: field.name,
        field_type: field.field_type,
        position,
      });
      const given = new Set((field.options ?? []).flatMap((o) => (o.value === undefined ? [] : [o.value])));
      let generated = 0;
      // Generated values follow the seed's shape: f_<account>_<channel>_<form>_<field>_<n>.
      const nextValue = () => {
        let value: string;
        do value = `f_${channel.account_id}_${channel.id}_${row.id}_${fieldRow.id}_${++generated}`;
        while (given.has(value));
        return value;
      };
      await repo.insertOptions(
        trx,
        (field.options ?? []).map((o, p) => ({
          field_id: fieldRow.id,
          name: o.name,
          value: o.value ?? nextValue(),
          position: p,
        })),
      );
    }
    return row;
  });
  const [view] = await formViews(db, [form]);
  return view!;
}

export async function listForms(db: Kysely<Database>, caller: Caller, channelId: number): Promise<FormView[]> {
  const channel = await getChannel(db, caller, channelId);
  return formViews(db, await repo.formsOfChannel(db, channel.id));
}

/** A field of a visible channel's form (analytics take field ids). */
export async function getField(db: Kysely<Database>, caller: Caller, id: number): Promise<repo.FieldRow> {
  return visible(caller, await repo.findField(db, id), 'field');
}

/** A report's checked values: the row's two value columns, and its choices (for the counts). */
interface CheckedValues extends Pick<repo.ReportRow, 'field_values' | 'option_ids'> {
  selections: readonly repo.Selection[];
}

/** A form's fields by id, and each choice field's options by value: what checking a report needs. */
interface FormShape {
  form: repo.FormRow;
  fields: Map<number, repo.FieldRow>;
  options: Map<number, Map<string, repo.OptionRow>>;
}

async function loadFormShape(db: Kysely<Database>, form: repo.FormRow): Promise<FormShape> {
  const { fields, options } = await repo.fieldsOfForms(db, [form.id]);
  const byField = new Map<number, Map<string, repo.OptionRow>>();
  for (const option of options)
    (byField.get(option.field_id) ?? byField.set(option.field_id, new Map()).get(option.field_id)!).set(
      option.value,
      option,
    );
  return { form, fields: new Map(fields.map((f) => [f.id, f])), options: byField };
}

/**
 * Checks `values` against the form: each key a field of it, each value of that field's type. The
 * row's JSON columns are written as text directly (an import checks a report every few µs).
 */
function checkValues(shape: FormShape, given: Record<string, FieldValue>): CheckedValues {
  let fieldValues = '';
  let optionIds = '';
  const selections: repo.Selection[] = [];
  for (const key in given) {
    const value = given[key]!;
    const field = shape.fields.get(Number(key));
    // The id as written ("7", not "07" or "7.0"): two spellings of one field would count it twice.
    if (!field || String(field.id) !== key)
      throw invalidParams(`values.${key}: not a field of form ${shape.form.id}`, { field: `values.${key}` });
    if (CHOICE_TYPES.has(field.field_type)) {
      const checkbox = field.field_type === 'Checkbox';
      if (checkbox ? !Array.isArray(value) || value.some((v) => typeof v !== 'string') : typeof value !== 'string') {
        throw invalidParams(
          `values.${key}: a ${field.field_type} field takes ${checkbox ? 'an array of option values' : 'one option value'}`,
          { field: `values.${key}` },
        );
      }
      for (const v of checkbox ? new Set(value as string[]) : [value as string]) {
        const option = shape.options.get(field.id)?.get(v);
        if (!option)
          throw invalidParams(`values.${key}: "${v}" is not an option of field ${field.id}`, {
            field: `values.${key}`,
          });
        selections.push({ field_id: field.id, option_id: option.id });
        optionIds += optionIds === '' ? option.id : `,${option.id}`;
      }
      continue;
    }
    const ok =
      field.field_type === 'Number'
        ? typeof value === 'number' && Number.isFinite(value)
        : field.field_type === 'Date'
          ? typeof value === 'string' && Number.isFinite(Date.parse(value))
          : typeof value === 'string';
    if (!ok)
      throw invalidParams(
        `values.${key}: a ${field.field_type} field takes a ${field.field_type === 'Date' ? 'date (ISO 8601)' : field.field_type === 'Number' ? 'number' : 'string'}`,
        { field: `values.${key}` },
      );
    // Field ids are integers, so for…in gave them in ascending order, as JSON.stringify would.
    fieldValues += `${fieldValues === '' ? '{' : ','}"${field.id}":${JSON.stringify(value)}`;
  }
  return {
    field_values: fieldValues === '' ? null : `${fieldValues}}`,
    option_ids: optionIds === '' ? null : `[${optionIds}]`,
    selections,
  };
}

/** A checked report, ready to insert: its row (without id) and its choices. */
export interface CheckedReport {
  row: Omit<repo.ReportRow, 'id'>;
  selections: readonly repo.Selection[];
}

const NO_VALUES: CheckedValues = { field_values: null, option_ids: null, selections: [] };

/** Thrown by a lookup that is still loading: `check` waits for it, then checks again. */
class LookupPending {
  constructor(readonly loading: Promise<unknown>) {}
}

type Lookup<V> =
  { state: 'loading'; promise: Promise<void> } | { state: 'done'; value: V } | { state: 'failed'; error: unknown };

/**
 * Checks report bodies for one caller: channel visible, form of that channel, state and user of
 * its account, values against the form. Lookups are remembered, so an import of many reports in
 * a few channels reads each channel, form, state and user once; once they are known a report is
 * checked synchronously (no promise per report: an import checks hundreds of thousands).
 */
export class ReportChecker {
  private readonly channels = new Map<number, Lookup<repo.NamedRow>>();
  private readonly forms = new Map<number, Lookup<FormShape | undefined>>();
  private readonly states = new Map<number, Lookup<repo.NamedRow | undefined>>();
  private readonly users = new Map<string, Lookup<number>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly caller: Caller,
  ) {}

  /** The remembered value (or error) of `key`; starts loading it and throws LookupPending when unknown. */
  private remembered<K, V>(cache: Map<K, Lookup<V>>, key: K, load: () => Promise<V>): V {
    const known = cache.get(key);
    if (known?.state === 'done') return known.value;
    // A failed lookup stays failed: the same error for every line that needs it.
    if (known?.state === 'failed') throw known.error;
    if (known) throw new LookupPending(known.promise);
    const promise = load().then(
      (value) => void cache.set(key, { state: 'done', value }),
      (error: unknown) => void cache.set(key, { state: 'failed', error }),
    );
    cache.set(key, { state: 'loading', promise });
    throw new LookupPending(promise);
  }

  /** The checked report, at once when every lookup it needs is known, else a promise of it. */
  check(body: ReportBody, nowMs = Date.now()): CheckedReport | Promise<CheckedReport> {
    try {
      return this.checkKnown(body, nowMs);
    } catch (error) {
      if (!(error instanceof LookupPending)) throw error;
      return error.loading.then(() => this.check(body, nowMs));
    }
  }

  private checkKnown(body: ReportBody, nowMs: number): CheckedReport {
    const channel = this.remembered(this.channels, body.channel_id, () =>
      getChannel(this.db, this.caller, body.channel_id),
    );
    const createdAt = instant(body.created_at, 'created_at', nowMs);
    if (body.values && Object.keys(body.values).length > 0 && body.form_id === undefined)
      throw invalidParams('values need a form_id', { field: 'form_id' });
    let shape: FormShape | undefined;
    if (body.form_id !== undefined) {
      const formId = body.form_id;
      shape = this.remembered(this.forms, formId, async () => {
        const form = await repo.findForm(this.db, formId);
        return form ? loadFormShape(this.db, form) : undefined;
      });
      if (!shape || shape.form.channel_id !== channel.id)
        throw invalidParams(`form_id ${formId} is not a form of channel ${channel.id}`, { field: 'form_id' });
    }
    if (body.state_id !== undefined) {
      const stateId = body.state_id;
      const state = this.remembered(this.states, stateId, () => repo.findNamed(this.db, 'states', stateId));
      if (!state || state.account_id !== channel.account_id)
        throw invalidParams(`state_id ${stateId} is not a state of this account`, { field: 'state_id' });
    }
    const userId = this.remembered(this.users, `${channel.account_id}:${body.user_id ?? ''}`, () =>
      actingUser(this.db, this.caller, channel.account_id, body.user_id, 'manage-reports'),
    );
    const { field_values, option_ids, selections } = shape ? checkValues(shape, body.values ?? {}) : NO_VALUES;
    return {
      row: {
        account_id: channel.account_id,
        channel_id: channel.id,
        form_id: body.form_id ?? null,
        user_id: userId,
        state_id: body.state_id ?? null,
        created_at: createdAt,
        field_values,
        option_ids,
      },
      selections,
    };
  }
}

export type ReportView = Omit<repo.ReportRow, 'field_values' | 'option_ids'> & { values: Record<string, FieldValue> };

async function reportView(
  db: Kysely<Database>,
  { field_values, option_ids, ...report }: repo.ReportRow,
): Promise<ReportView> {
  const values = (field_values === null ? {} : JSON.parse(field_values)) as Record<string, FieldValue>;
  for (const option of await repo.chosenOptions(db, option_ids === null ? [] : (JSON.parse(option_ids) as number[]))) {
    const key = String(option.field_id);
    if (option.field_type === 'Checkbox')
      values[key] = [...((values[key] as string[] | undefined) ?? []), option.value];
    else values[key] = option.value;
  }
  return { ...report, values };
}

export async function createReport(
  db: Kysely<Database>,
  caller: Caller,
  body: ReportBody,
  nowMs = Date.now(),
): Promise<ReportView> {
  const checked = await new ReportChecker(db, caller).check(body, nowMs);
  const report = await atomically(db, (trx) => repo.insertReport(trx, checked.row, checked.selections));
  return reportView(db, report);
}

export const getReport = async (db: Kysely<Database>, caller: Caller, id: number) =>
  visible(caller, await repo.findReport(db, id), 'report');

export async function setReportState(
  db: Kysely<Database>,
  caller: Caller,
  id: number,
  stateId: number | null,
): Promise<ReportView> {
  const report = await getReport(db, caller, id);
  if (stateId !== null) {
    const state = await repo.findNamed(db, 'states', stateId);
    if (!state || state.account_id !== report.account_id)
      throw invalidParams(`state_id ${stateId} is not a state of this account`, { field: 'state_id' });
  }
  await repo.updateReportState(db, report, stateId);
  return reportView(db, { ...report, state_id: stateId });
}

export async function addRead(
  db: Kysely<Database>,
  caller: Caller,
  reportId: number,
  body: { user_id?: number | undefined; read_at?: string | undefined },
  nowMs = Date.now(),
) {
  const report = await getReport(db, caller, reportId);
  const readAt = instant(body.read_at, 'read_at', nowMs);
  const userId = await actingUser(db, caller, report.account_id, body.user_id, 'manage-reports');
  return repo.insertRead(db, report.account_id, {
    report_id: report.id,
    channel_id: report.channel_id,
    user_id: userId,
    read_at: readAt,
  });
}

async function checkRecipients(db: Kysely<Database>, accountId: number, userIds: readonly number[]): Promise<void> {
  const known = await repo.usersInAccount(db, accountId, userIds);
  const unknown = userIds.filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw invalidParams(`user_ids: no such users in this account: ${unknown.slice(0, 20).join(', ')}`, {
      field: 'user_ids',
    });
}

export async function createAlert(
  db: Kysely<Database>,
  caller: Caller,
  body: { report_id: number; user_ids: number[]; sent_at?: string | undefined },
  nowMs = Date.now(),
) {
  const report = await getReport(db, caller, body.report_id);
  const sentAt = instant(body.sent_at, 'sent_at', nowMs);
  await checkRecipients(db, report.account_id, body.user_ids);
  return atomically(db, async (trx) => {
    const alert = await repo.insertAlert(trx, {
      account_id: report.account_id,
      report_id: report.id,
      channel_id: report.channel_id,
      created_at: sentAt,
    });
    const deliveries = await repo.insertDeliveries(trx, alert, body.user_ids, sentAt);
    return { ...alert, deliveries };
  });
}

export const getAlert = async (db: Kysely<Database>, caller: Caller, id: number) =>
  visible(caller, await repo.findAlert(db, id), 'alert');

export async function addDeliveries(
  db: Kysely<Database>,
  caller: Caller,
  alertId: number,
  body: { user_ids: number[]; sent_at?: string | undefined },
  nowMs = Date.now(),
) {
  const alert = await getAlert(db, caller, alertId);
  const sentAt = instant(body.sent_at, 'sent_at', nowMs);
  await checkRecipients(db, alert.account_id, body.user_ids);
  const deliveries = await atomically(db, (trx) => repo.insertDeliveries(trx, alert, body.user_ids, sentAt));
  return { ...alert, deliveries };
}

export async function openAlert(
  db: Kysely<Database>,
  caller: Caller,
  alertId: number,
  body: { user_id?: number | undefined; opened_at?: string | undefined },
  nowMs = Date.now(),
) {
  const alert = await getAlert(db, caller, alertId);
  const openedAt = instant(body.opened_at, 'opened_at', nowMs);
  const userId = await actingUser(db, caller, alert.account_id, body.user_id, 'send-alerts');
  return repo.insertOpen(db, { alert_id: alert.id, user_id: userId, opened_at: openedAt });
}

/** Server statistics: reports, reads, alerts and images of every account (from per-channel totals). */
export async function reportStatistics(db: Kysely<Database>) {
  const totals = await repo.reportTotals(db);
  return {
    totalReports: totals.reports,
    totalReportReads: totals.reads,
    totalAlerts: totals.alerts,
    totalReportImages: totals.images,
    totalReportImagesSize: totals.image_bytes,
  };
}
