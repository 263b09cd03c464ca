import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { bulkInsertValues, forUpdate } from '../db/dialect.js';
import { preparedQuery, type QueryShape } from '../db/prepared.js';
import type {
  Database,
  FieldOptionsTable,
  FormFieldsTable,
  FormsTable,
  NamedTable,
  ReportImagesTable,
  ReportsTable,
} from '../db/schema.js';
import { CountDeltas, type Selection } from './counts/count-deltas.js';
import { linkDeliveries, markOpened } from './distinct/delivery-chains.js';
import { linkRead } from './distinct/read-chains.js';

/**
 * Row reads and writes of channels, states, forms, reports, images, reads and alerts (data in).
 * A new report's counts go through CountDeltas (counts/); the analytics reads are in analytics/queries/.
 */

export type NamedRow = Selectable<NamedTable>;

export type FormRow = Selectable<FormsTable>;

export type FieldRow = Selectable<FormFieldsTable>;

export type OptionRow = Selectable<FieldOptionsTable>;

export type ReportRow = Selectable<ReportsTable>;

export async function insertNamed(
  db: Kysely<Database>,
  table: 'channels' | 'states',
  row: Insertable<NamedTable>,
): Promise<NamedRow> {
  return db.insertInto(table).values(row).returningAll().executeTakeFirstOrThrow();
}

// Channel lookups open every analytics request and every report written: prepared.
const namedQuery = preparedQuery((db, s: { table: 'channels' | 'states' }, v: { id: number }) =>
  db
    .selectFrom(s.table as 'channels')
    .selectAll()
    .where('id', '=', v.id),
);

export async function findNamed(
  db: Kysely<Database>,
  table: 'channels' | 'states',
  id: number,
): Promise<NamedRow | undefined> {
  return (await namedQuery(db, { table }, { id }))[0];
}

export async function insertForm(db: Kysely<Database>, row: Insertable<FormsTable>): Promise<FormRow> {
  return db.insertInto('forms').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function insertField(db: Kysely<Database>, row: Insertable<FormFieldsTable>): Promise<FieldRow> {
  return db.insertInto('form_fields').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function insertOptions(db: Kysely<Database>, rows: Insertable<FieldOptionsTable>[]): Promise<OptionRow[]> {
  if (rows.length === 0) return [];
  return db.insertInto('field_options').values(rows).returningAll().execute();
}

const formQuery = preparedQuery((db, _s: QueryShape, v: { id: number }) =>
  db.selectFrom('forms').selectAll().where('id', '=', v.id),
);

export async function findForm(db: Kysely<Database>, id: number): Promise<FormRow | undefined> {
  return (await formQuery(db, {}, { id }))[0];
}

export async function formsOfChannel(db: Kysely<Database>, channelId: number): Promise<FormRow[]> {
  return db.selectFrom('forms').selectAll().where('channel_id', '=', channelId).orderBy('id').execute();
}

/** Fields of forms with their options, in form order. */
export async function fieldsOfForms(
  db: Kysely<Database>,
  formIds: readonly number[],
): Promise<{ fields: FieldRow[]; options: OptionRow[] }> {
  if (formIds.length === 0) return { fields: [], options: [] };
  const fields = await db
    .selectFrom('form_fields')
    .selectAll()
    .where('form_id', 'in', formIds)
    .orderBy('form_id')
    .orderBy('position')
    .execute();
  const options =
    fields.length === 0
      ? []
      : await db
          .selectFrom('field_options')
          .selectAll()
          .where(
            'field_id',
            'in',
            fields.map((f) => f.id),
          )
          .orderBy('field_id')
          .orderBy('position')
          .execute();
  return { fields, options };
}

const fieldQuery = preparedQuery((db, _s: QueryShape, v: { id: number }) =>
  db.selectFrom('form_fields').selectAll().where('id', '=', v.id),
);

export async function findField(db: Kysely<Database>, id: number): Promise<FieldRow | undefined> {
  return (await fieldQuery(db, {}, { id }))[0];
}

/** The running totals kept per channel, each with where it is counted from when rebuilt. */
export const CHANNEL_TOTAL_SOURCES = {
  reports: ['reports', 'count(*)'],
  reads: ['report_reads', 'count(*)'],
  alerts: ['alerts', 'count(*)'],
  images: ['report_images', 'count(*)'],
  image_bytes: ['report_images', 'sum(bytes)'],
} as const;

type ChannelTotal = keyof typeof CHANNEL_TOTAL_SOURCES;

export type ChannelTotals = Partial<Record<ChannelTotal, number>>;

/** Adds to a channel's running totals (the row appears on first use). */
export async function addChannelTotals(
  db: Kysely<Database>,
  channelId: number,
  accountId: number,
  delta: ChannelTotals,
): Promise<void> {
  const columns = Object.keys(delta) as ChannelTotal[];
  if (columns.length === 0) return;
  await db
    .insertInto('report_channel_totals')
    .values({ channel_id: channelId, account_id: accountId, ...delta })
    .onConflict((oc) =>
      oc
        .column('channel_id')
        .doUpdateSet(
          Object.fromEntries(
            columns.map((c) => [c, sql`${sql.ref(`report_channel_totals.${c}`)} + ${sql.ref(`excluded.${c}`)}`]),
          ),
        ),
    )
    .execute();
}

/**
 * Locks a channel for linking its reads and deliveries (read-chains.ts, delivery-chains.ts):
 * PostgreSQL row-locks its totals row until the transaction ends (the row appears on first use).
 * Taken after the written rows, as every write takes it.
 */
export async function lockChannel(db: Kysely<Database>, channelId: number, accountId: number): Promise<void> {
  await addChannelTotals(db, channelId, accountId, { alerts: 0 });
}

/** Server statistics: totals over every channel (one small row per channel). */
export async function reportTotals(db: Kysely<Database>): Promise<Record<ChannelTotal, number>> {
  const columns = Object.keys(CHANNEL_TOTAL_SOURCES) as ChannelTotal[];
  const row = await db
    .selectFrom('report_channel_totals')
    .select((eb) => columns.map((c) => eb.fn.coalesce(eb.fn.sum<number>(c), sql<number>`0`).as(c)))
    .executeTakeFirstOrThrow();
  return Object.fromEntries(columns.map((c) => [c, Number(row[c])])) as Record<ChannelTotal, number>;
}

export async function insertReport(
  db: Kysely<Database>,
  row: Insertable<ReportsTable>,
  selections: readonly Selection[],
): Promise<ReportRow> {
  const report = await db.insertInto('reports').values(row).returningAll().executeTakeFirstOrThrow();
  const counts = new CountDeltas();
  await countNewReports(db, [{ id: report.id, row: report, selections }], counts);
  await counts.flush(db);
  return report;
}

export interface NewReport {
  id: number;
  row: Omit<ReportRow, 'id'>;
  selections: readonly Selection[];
}

const REPORT_COLUMNS = [
  'id',
  'account_id',
  'channel_id',
  'form_id',
  'user_id',
  'state_id',
  'created_at',
  'field_values',
  'option_ids',
] as const satisfies readonly (keyof ReportRow)[];

/** Bulk path (import): reports whose ids were reserved, with their counts. */
export async function insertReports(
  db: Kysely<Database>,
  reports: readonly NewReport[],
  counts: CountDeltas,
): Promise<void> {
  const values: unknown[] = [];
  for (const { id, row } of reports)
    values.push(
      id,
      row.account_id,
      row.channel_id,
      row.form_id,
      row.user_id,
      row.state_id,
      row.created_at,
      row.field_values,
      row.option_ids,
    );
  await bulkInsertValues(db, 'reports', REPORT_COLUMNS, values);
  await countNewReports(db, reports, counts);
}

/** Adds new reports to the count deltas and to their channels' running totals. */
async function countNewReports(
  db: Kysely<Database>,
  reports: readonly NewReport[],
  counts: CountDeltas,
): Promise<void> {
  const perChannel = new Map<number, { accountId: number; n: number }>();
  for (const { row, selections } of reports) {
    counts.addReport(row, selections);
    const channel = perChannel.get(row.channel_id);
    if (channel) channel.n++;
    else perChannel.set(row.channel_id, { accountId: row.account_id, n: 1 });
  }
  for (const [channelId, { accountId, n }] of perChannel)
    await addChannelTotals(db, channelId, accountId, { reports: n });
}

export async function findReport(db: Kysely<Database>, id: number): Promise<ReportRow | undefined> {
  return db.selectFrom('reports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A report's chosen options (by id) with their field and its type, in option order: shown by value. */
export async function chosenOptions(
  db: Kysely<Database>,
  ids: readonly number[],
): Promise<{ field_id: number; field_type: FieldRow['field_type']; value: string }[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('field_options as o')
    .innerJoin('form_fields as f', 'f.id', 'o.field_id')
    .select(['o.field_id', 'f.field_type', 'o.value'])
    .where('o.id', 'in', ids)
    .orderBy('o.field_id')
    .orderBy('o.position')
    .execute();
}

/** Moves a report to another state (or none), and its count with it (in the caller's transaction). */
export async function updateReportState(
  trx: Kysely<Database>,
  report: ReportRow,
  stateId: number | null,
): Promise<void> {
  // Re-read under the transaction: a concurrent change must not be counted twice.
  const read = trx.selectFrom('reports').select('state_id').where('id', '=', report.id);
  const current = await forUpdate(trx, read).executeTakeFirstOrThrow();
  if (current.state_id === stateId) return;
  await trx.updateTable('reports').set({ state_id: stateId }).where('id', '=', report.id).execute();
  const counts = new CountDeltas();
  if (current.state_id !== null)
    counts.add('report_state_counts', report.channel_id, current.state_id, report.created_at, -1);
  if (stateId !== null) counts.add('report_state_counts', report.channel_id, stateId, report.created_at, 1);
  await counts.flush(trx);
}

export async function insertRead(
  trx: Kysely<Database>,
  accountId: number,
  row: { report_id: number; channel_id: number; user_id: number; read_at: number },
) {
  const read = await trx
    .insertInto('report_reads')
    .values(row)
    .returning(['id', 'report_id', 'channel_id', 'user_id', 'read_at'])
    .executeTakeFirstOrThrow();
  // The totals row locks the channel: its chains are linked by one writer at a time.
  await addChannelTotals(trx, row.channel_id, accountId, { reads: 1 });
  await linkRead(trx, read);
  return read;
}

export async function insertAlert(
  db: Kysely<Database>,
  row: { account_id: number; report_id: number; channel_id: number; created_at: number },
) {
  const alert = await db.insertInto('alerts').values(row).returningAll().executeTakeFirstOrThrow();
  await addChannelTotals(db, row.channel_id, row.account_id, { alerts: 1 });
  return alert;
}

export async function findAlert(db: Kysely<Database>, id: number) {
  return db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertDeliveries(
  db: Kysely<Database>,
  alert: { id: number; account_id: number; report_id: number; channel_id: number },
  userIds: readonly number[],
  sentAt: number,
): Promise<number> {
  for (let i = 0; i < userIds.length; i += 1000) {
    await db
      .insertInto('alert_deliveries')
      .values(
        userIds.slice(i, i + 1000).map((user_id) => ({
          alert_id: alert.id,
          report_id: alert.report_id,
          channel_id: alert.channel_id,
          user_id,
          sent_at: sentAt,
        })),
      )
      .execute();
  }
  // The rows (and the read cache's version row their trigger bumps) first, then the channel's lock.
  await lockChannel(db, alert.channel_id, alert.account_id);
  await linkDeliveries(db, alert, userIds, sentAt);
  return userIds.length;
}

export async function insertOpen(
  db: Kysely<Database>,
  alert: { id: number; account_id: number; channel_id: number },
  row: { user_id: number; opened_at: number },
) {
  const open = await db
    .insertInto('alert_opens')
    .values({ alert_id: alert.id, ...row })
    .returningAll()
    .executeTakeFirstOrThrow();
  await lockChannel(db, alert.channel_id, alert.account_id);
  await markOpened(db, alert.id, row.user_id);
  return open;
}

const stateNamesQuery = preparedQuery((db, _s: QueryShape, v: { ids: number[] }) =>
  db.selectFrom('states').select(['id', 'name']).where('id', 'in', v.ids),
);

/** Names of states by id. */
export async function stateNames(db: Kysely<Database>, ids: readonly number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await stateNamesQuery(db, {}, { ids: [...ids] });
  return new Map(rows.map((r) => [r.id, r.name]));
}

const optionsOfFieldQuery = preparedQuery((db, _s: QueryShape, v: { fieldId: number }) =>
  db.selectFrom('field_options').selectAll().where('field_id', '=', v.fieldId).orderBy('position'),
);

export async function optionsOfField(db: Kysely<Database>, fieldId: number): Promise<OptionRow[]> {
  return optionsOfFieldQuery(db, {}, { fieldId });
}

export async function insertImage(trx: Kysely<Database>, row: Insertable<ReportImagesTable>) {
  const image = await trx
    .insertInto('report_images')
    .values(row)
    .returning(['id', 'account_id', 'report_id', 'created_at', 'width', 'height'])
    .executeTakeFirstOrThrow();
  await addChannelTotals(trx, row.channel_id, row.account_id, { images: 1, image_bytes: row.bytes });
  return image;
}

export async function findImage(db: Kysely<Database>, id: number) {
  return db.selectFrom('report_images').select(['id', 'account_id', 'path']).where('id', '=', id).executeTakeFirst();
}
