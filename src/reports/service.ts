import type { Kysely } from 'kysely';
import { usersInAccount } from '../auth/service.js';
import { atomically } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { invalidParams } from '../http/errors.js';
import { actingUser, getChannel, instant, visible, type Caller } from './access.js';
import { CHOICE_TYPES, ReportChecker } from './report-checker.js';
import * as repo from './repository.js';
import * as channelsRepo from './channels.repository.js';
import { queueWebhookEvent } from '../webhooks/service.js';
import { toIso } from '../shared/time.js';
import type {
  AlertBody,
  ChannelsQuery,
  DeliveriesBody,
  FieldValue,
  FormBody,
  OpenBody,
  ReadBody,
  ReportBody,
} from './schemas.js';

export { getChannel, getChannelOwner, getField } from './access.js';

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
  const report = await atomically(db, async (trx) => {
    const row = await repo.insertReport(trx, checked.row, checked.selections);
    const { id, account_id, channel_id, form_id, user_id, state_id, created_at } = row;
    const payload = {
      report: { id, account_id, channel_id, form_id, user_id, state_id, created_at: toIso(created_at) },
    };
    await queueWebhookEvent(trx, { accountId: account_id, event: 'report_created', payload }, nowMs);
    return row;
  });
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
  await atomically(db, (trx) => repo.updateReportState(trx, report, stateId));
  return reportView(db, { ...report, state_id: stateId });
}

export async function addRead(
  db: Kysely<Database>,
  caller: Caller,
  reportId: number,
  body: ReadBody,
  nowMs = Date.now(),
) {
  const report = await getReport(db, caller, reportId);
  const readAt = instant(body.read_at, 'read_at', nowMs);
  const userId = await actingUser(db, caller, report.account_id, body.user_id, 'manage-reports');
  const read = await atomically(db, (trx) =>
    repo.insertRead(trx, report.account_id, {
      report_id: report.id,
      channel_id: report.channel_id,
      user_id: userId,
      read_at: readAt,
    }),
  );
  return { ...read, account_id: report.account_id };
}

async function checkRecipients(db: Kysely<Database>, accountId: number, userIds: readonly number[]): Promise<void> {
  const known = await usersInAccount(db, accountId, userIds);
  const unknown = userIds.filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw invalidParams(`user_ids: no such users in this account: ${unknown.slice(0, 20).join(', ')}`, {
      field: 'user_ids',
    });
}

export async function createAlert(db: Kysely<Database>, caller: Caller, body: AlertBody, nowMs = Date.now()) {
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
  body: DeliveriesBody,
  nowMs = Date.now(),
) {
  const alert = await getAlert(db, caller, alertId);
  const sentAt = instant(body.sent_at, 'sent_at', nowMs);
  await checkRecipients(db, alert.account_id, body.user_ids);
  const deliveries = await atomically(db, (trx) => repo.insertDeliveries(trx, alert, body.user_ids, sentAt));
  return { ...alert, deliveries };
}

/** Records an open without telling anyone: the import sends one event for its whole file. */
export async function recordAlertOpen(
  db: Kysely<Database>,
  caller: Caller,
  alertId: number,
  body: OpenBody,
  nowMs = Date.now(),
) {
  const alert = await getAlert(db, caller, alertId);
  const openedAt = instant(body.opened_at, 'opened_at', nowMs);
  const userId = await actingUser(db, caller, alert.account_id, body.user_id, 'send-alerts');
  return { alert, open: await repo.insertOpen(db, alert, { user_id: userId, opened_at: openedAt }) };
}

/** `POST /api/v4/alerts/:id/open`: records the open and queues `alert_opened` with it. */
export async function openAlert(
  db: Kysely<Database>,
  caller: Caller,
  alertId: number,
  body: OpenBody,
  nowMs = Date.now(),
) {
  return atomically(db, async (trx) => {
    const { alert, open } = await recordAlertOpen(trx, caller, alertId, body, nowMs);
    const alertOpen = {
      alert_id: alert.id,
      account_id: alert.account_id,
      report_id: alert.report_id,
      channel_id: alert.channel_id,
      user_id: open.user_id,
      opened_at: toIso(open.opened_at),
    };
    await queueWebhookEvent(
      trx,
      { accountId: alert.account_id, event: 'alert_opened', payload: { alert_open: alertOpen } },
      nowMs,
    );
    return open;
  });
}

/** The ids of an account's newest reports, newest first. */
export const newestReportIds = (db: Kysely<Database>, accountId: number, limit: number) =>
  channelsRepo.newestReportIds(db, accountId, limit);

const DAY_MS = 86_400_000;

/** A page of an account's channels by name, each with its reports of the last 30 UTC days. */
export async function listChannels(
  db: Kysely<Database>,
  accountId: number,
  q: Omit<ChannelsQuery, 'account_id'>,
  nowMs = Date.now(),
) {
  const page = { accountId, search: q.q, offset: q.from, limit: q.limit };
  const [total, rows] = await Promise.all([
    channelsRepo.countChannels(db, accountId, q.q),
    channelsRepo.pageChannels(db, page),
  ]);
  const today = Math.floor(nowMs / DAY_MS);
  const recent = await channelsRepo.reportsOnDays(
    db,
    rows.map((r) => r.id),
    today - 29,
    today,
  );
  return { total, items: rows.map((r) => ({ ...r, reports_last_30_days: recent.get(r.id) ?? 0 })) };
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
