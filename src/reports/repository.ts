import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { atomically, bulkInsert, bulkInsertValues, isPostgres } from '../db/dialect.js';
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

/** Every query on channels, states, forms, reports, images, reads and alerts (data in). */

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
const CHANNEL_TOTALS = {
  reports: ['reports', 'count(*)'],
  reads: ['report_reads', 'count(*)'],
  alerts: ['alerts', 'count(*)'],
  images: ['report_images', 'count(*)'],
  image_bytes: ['report_images', 'sum(bytes)'],
} as const;
type ChannelTotal = keyof typeof CHANNEL_TOTALS;
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

/** Server statistics: totals over every channel (one small row per channel). */
export async function reportTotals(db: Kysely<Database>): Promise<Record<ChannelTotal, number>> {
  const columns = Object.keys(CHANNEL_TOTALS) as ChannelTotal[];
  const row = await db
    .selectFrom('report_channel_totals')
    .select((eb) => columns.map((c) => eb.fn.coalesce(eb.fn.sum<number>(c), sql<number>`0`).as(c)))
    .executeTakeFirstOrThrow();
  return Object.fromEntries(columns.map((c) => [c, Number(row[c])])) as Record<ChannelTotal, number>;
}

/** A choice made in a report: what its counts are kept by. */
export interface Selection {
  field_id: number;
  option_id: number;
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

/** The 15-minute UTC bucket of an instant (unix ms): the unit of the pre-aggregated counts. */
export const BUCKET_MS = 900_000;

/** Level number → width in 15-minute buckets: quarter hour, hour, UTC day, 32 UTC days, 8 UTC days (added later: 0012). */
export const LEVEL_SIZES = [1, 4, 96, 3072, 768] as const;
/** Channel totals: quarter hours, hours and UTC days (days added later: 0013). */
export const TOTAL_LEVELS = [0, 1, 2] as const;
/**
 * The channel-total levels a fold by local hour or local day may use: a UTC day straddles two
 * local days in every zone but UTC, so only quarter hours and hours (every whole-hour zone aligns).
 */
const LOCAL_UNIT_LEVELS = [0, 1] as const;
/**
 * Per state, user and option counts ignore zones: hours, days, 8-day and 32-day spans (narrowest
 * first). Hours, not quarter hours (0015): a report spread over a year of quarter hours was a new
 * counter row per key it has, which made most of an import's writes; the partial hours at a
 * window's edges are read raw instead (a few dozen reports on the busiest channel).
 */
export const KEYED_LEVELS = [1, 2, 4, 3] as const;

type CountTable = 'report_counts' | 'report_state_counts' | 'report_user_counts' | 'report_option_counts';
const LEVELS_OF: Record<CountTable, readonly number[]> = {
  report_counts: TOTAL_LEVELS,
  report_state_counts: KEYED_LEVELS,
  report_user_counts: KEYED_LEVELS,
  report_option_counts: KEYED_LEVELS,
};

/** The key columns of each count table (then level, bucket, total). */
const KEY_COLUMNS: Record<CountTable, readonly [string, string?]> = {
  report_counts: ['channel_id'],
  report_state_counts: ['channel_id', 'state_id'],
  report_user_counts: ['channel_id', 'user_id'],
  report_option_counts: ['field_id', 'option_id'],
};

/** Buckets per chunk of a key's changes (a chunk is an Int32Array of this length). */
const CHUNK_BUCKETS = 256;

/**
 * One key's changes (`b` is -1 for a one-column key) at its table's finest level: chunks of
 * consecutive buckets, by bucket / CHUNK_BUCKETS. A year of quarter hours is 137 chunks (140 KB):
 * an import adding a report at a random time reads a small array, where a map of 35,000
 * buckets missed the CPU caches on nearly every report.
 */
interface KeyDeltas {
  a: number;
  b: number;
  chunks: Map<number, Int32Array>;
}

/** Per table: keys by first then second column, and the key used last (an import repeats keys). */
interface TableDeltas {
  /** Bucket width of the table's finest level. */
  widthMs: number;
  keys: Map<number, Map<number, KeyDeltas>>;
  last: KeyDeltas | undefined;
}

/**
 * Changes to the pre-aggregated counts, summed in memory per (table, key, bucket) and written as
 * one multi-row upsert per table: a report is 10–14 counter rows, an import of many reports far
 * fewer than that per report (neighbours share buckets). An import adds a report every few
 * microseconds, so only each table's finest level is summed per report (the key added last
 * found without a lookup); the wider levels are summed from those at flush.
 */
export class CountDeltas {
  private tables = CountDeltas.empty();
  private chunks = 0;

  private static empty(): Record<CountTable, TableDeltas> {
    const table = (name: CountTable): TableDeltas => ({
      widthMs: BUCKET_MS * LEVEL_SIZES[LEVELS_OF[name][0]!]!,
      keys: new Map(),
      last: undefined,
    });
    return {
      report_counts: table('report_counts'),
      report_state_counts: table('report_state_counts'),
      report_user_counts: table('report_user_counts'),
      report_option_counts: table('report_option_counts'),
    };
  }

  /** Memory held by the changes, in bytes (what an import flushes on). */
  get bytes(): number {
    return this.chunks * CHUNK_BUCKETS * Int32Array.BYTES_PER_ELEMENT;
  }

  /** Adds `delta` to `table`'s counts of one report instant; `b` is the second key column. */
  add(table: CountTable, a: number, b: number | undefined, createdAt: number, delta: number): void {
    const deltas = this.tables[table];
    const second = b ?? -1;
    let key = deltas.last;
    if (key?.a !== a || key.b !== second) {
      let byB = deltas.keys.get(a);
      if (!byB) deltas.keys.set(a, (byB = new Map()));
      key = byB.get(second);
      if (!key) byB.set(second, (key = { a, b: second, chunks: new Map() }));
      deltas.last = key;
    }
    const bucket = Math.floor(createdAt / deltas.widthMs);
    const index = Math.floor(bucket / CHUNK_BUCKETS);
    let chunk = key.chunks.get(index);
    if (!chunk) {
      key.chunks.set(index, (chunk = new Int32Array(CHUNK_BUCKETS)));
      this.chunks++;
    }
    chunk[bucket - index * CHUNK_BUCKETS]! += delta;
  }

  /** The counts of a new report: its channel, user, state and selected options. */
  addReport(
    report: Pick<ReportRow, 'channel_id' | 'user_id' | 'state_id' | 'created_at'>,
    selections: readonly Selection[],
  ): void {
    const at = report.created_at;
    this.add('report_counts', report.channel_id, undefined, at, 1);
    this.add('report_user_counts', report.channel_id, report.user_id, at, 1);
    if (report.state_id !== null) this.add('report_state_counts', report.channel_id, report.state_id, at, 1);
    for (const s of selections) this.add('report_option_counts', s.field_id, s.option_id, at, 1);
  }

  /** Writes and forgets the changes (keys are distinct within a statement, as PostgreSQL requires). */
  async flush(db: Kysely<Database>): Promise<void> {
    for (const [table, { keys }] of Object.entries(this.tables) as [CountTable, TableDeltas][]) {
      if (keys.size === 0) continue;
      const keyColumns = KEY_COLUMNS[table].filter((c): c is string => c !== undefined);
      const [finest, ...wider] = LEVELS_OF[table];
      const changed: number[][] = [];
      const push = (a: number, b: number, level: number, bucket: number, total: number) => {
        if (total !== 0) changed.push(b === -1 ? [a, level, bucket, total] : [a, b, level, bucket, total]);
      };
      for (const byB of keys.values()) {
        for (const { a, b, chunks } of byB.values()) {
          const byBucket = new Map<number, number>();
          for (const [index, chunk] of chunks)
            chunk.forEach((total, slot) => total !== 0 && byBucket.set(index * CHUNK_BUCKETS + slot, total));
          for (const [bucket, total] of byBucket) push(a, b, finest!, bucket, total);
          for (const level of wider) {
            const ratio = LEVEL_SIZES[level]! / LEVEL_SIZES[finest!]!;
            const sums = new Map<number, number>();
            for (const [bucket, total] of byBucket) {
              const wide = Math.floor(bucket / ratio);
              sums.set(wide, (sums.get(wide) ?? 0) + total);
            }
            for (const [bucket, total] of sums) push(a, b, level, bucket, total);
          }
        }
      }
      await bulkInsert(
        db,
        table,
        [...keyColumns, 'level', 'bucket', 'total'],
        changed,
        `on conflict (${keyColumns.join(', ')}, level, bucket) do update set total = ${table}.total + excluded.total`,
      );
    }
    this.tables = CountDeltas.empty();
    this.chunks = 0;
  }
}

/** Level ranges as the parallel value arrays the count queries bind, one entry per arm. */
function rangeColumns(ranges: readonly LevelRange[]): { levels: number[]; froms: number[]; tos: number[] } {
  return { levels: ranges.map((r) => r.level), froms: ranges.map((r) => r.from), tos: ranges.map((r) => r.to) };
}

/** A range of buckets at one level (in that level's units). */
export interface LevelRange {
  level: number;
  from: number;
  to: number;
}

/**
 * Covers [from, to) (in quarter hours) with the coarsest buckets that fit: whole buckets of the
 * widest level in the middle, narrower ones towards the edges. `from` and `to` are whole buckets
 * of the narrowest level.
 */
export function decompose(from: number, to: number, levels: readonly number[]): LevelRange[] {
  if (from >= to) return [];
  const level = levels.at(-1)!;
  const size = LEVEL_SIZES[level]!;
  if (levels.length === 1) return [{ level, from: from / size, to: to / size }];
  const first = Math.ceil(from / size);
  const last = Math.floor(to / size);
  const narrower = levels.slice(0, -1);
  if (first >= last) return decompose(from, to, narrower);
  return [
    ...decompose(from, first * size, narrower),
    { level, from: first, to: last },
    ...decompose(last * size, to, narrower),
  ];
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

/** Moves a report to another state (or none), and its count with it, in one transaction. */
export async function updateReportState(
  db: Kysely<Database>,
  report: ReportRow,
  stateId: number | null,
): Promise<void> {
  await atomically(db, async (trx) => {
    // Re-read under the transaction: a concurrent change must not be counted twice.
    let read = trx.selectFrom('reports').select('state_id').where('id', '=', report.id);
    if (isPostgres<Database>(trx)) read = read.forUpdate();
    const current = await read.executeTakeFirstOrThrow();
    if (current.state_id === stateId) return;
    await trx.updateTable('reports').set({ state_id: stateId }).where('id', '=', report.id).execute();
    const counts = new CountDeltas();
    if (current.state_id !== null)
      counts.add('report_state_counts', report.channel_id, current.state_id, report.created_at, -1);
    if (stateId !== null) counts.add('report_state_counts', report.channel_id, stateId, report.created_at, 1);
    await counts.flush(trx);
  });
}

/** Which of these users belong to the account (others are refused as unknown). */
export async function usersInAccount(
  db: Kysely<Database>,
  accountId: number,
  userIds: readonly number[],
): Promise<Set<number>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', 'in', userIds)
    .execute();
  return new Set(rows.map((r) => r.id));
}

export async function insertRead(
  db: Kysely<Database>,
  accountId: number,
  row: { report_id: number; channel_id: number; user_id: number; read_at: number },
) {
  return atomically(db, async (trx) => {
    const read = await trx.insertInto('report_reads').values(row).returningAll().executeTakeFirstOrThrow();
    await addChannelTotals(trx, row.channel_id, accountId, { reads: 1 });
    return read;
  });
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
  alert: { id: number; report_id: number; channel_id: number },
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
  return userIds.length;
}

export async function insertOpen(db: Kysely<Database>, row: { alert_id: number; user_id: number; opened_at: number }) {
  return db.insertInto('alert_opens').values(row).returningAll().executeTakeFirstOrThrow();
}

/* ---- Analytics reads: every request runs them, so each is built once per shape (db/prepared.ts) ---- */

export type LocalUnit = 'hourOfDay' | 'dow' | 'hour' | 'day';

/** One fixed UTC offset (a segment of the request's time zone) over whole buckets [from, to). */
export interface OffsetRange {
  offsetMs: number;
  from: number;
  to: number;
}

const localUnitCountsQuery = preparedQuery(
  (
    db,
    s: { unit: LocalUnit; levels: string },
    v: { channelId: number; offsets: number[]; levels: number[]; froms: number[]; tos: number[] },
  ) => {
    const arm = (i: number, level: number) => {
      // Bound numbers are REAL on SQLite (better-sqlite3): cast, so the divisions below stay integer.
      const offset = sql<number>`cast(${v.offsets[i]} as bigint)`;
      const local = sql`(bucket * ${sql.lit(BUCKET_MS * LEVEL_SIZES[level]!)} + ${offset})`;
      const key =
        s.unit === 'hourOfDay'
          ? sql<number>`(${local} / 3600000) % 24`
          : s.unit === 'dow'
            ? sql<number>`((${local} / 86400000) + 4) % 7`
            : s.unit === 'hour'
              ? sql<number>`${local} / 3600000`
              : sql<number>`${local} / 86400000`;
      return db
        .selectFrom('report_counts')
        .select([offset.as('o'), key.as('k'), 'total as n'])
        .where('channel_id', '=', v.channelId)
        .where('level', '=', v.levels[i]!)
        .where('bucket', '>=', v.froms[i]!)
        .where('bucket', '<', v.tos[i]!);
    };
    const levels = s.levels.split(',').map(Number);
    return db
      .selectFrom(unionOf(levels.length, (i) => arm(i, levels[i]!)).as('r'))
      .select(['o', 'k', (eb) => eb.fn.sum<number>('n').as('n')])
      .groupBy(['o', 'k']);
  },
);

/**
 * Counts of whole buckets grouped by a local-time unit, per fixed offset: `local = bucket start +
 * offset`. One statement for all the offsets of a window, each range covered by its coarsest levels.
 */
export async function countsByLocalUnit(
  db: Kysely<Database>,
  channelId: number,
  ranges: readonly OffsetRange[],
  unit: LocalUnit,
): Promise<{ offsetMs: number; k: number; n: number }[]> {
  const arms: { offsetMs: number; level: number; from: number; to: number }[] = [];
  for (const { offsetMs, from, to } of ranges) {
    // Hour buckets are whole local hours only when the offset is: +05:30 and +05:45 use quarter hours.
    for (const range of decompose(from, to, offsetMs % 3_600_000 === 0 ? LOCAL_UNIT_LEVELS : [0]))
      arms.push({ offsetMs, ...range });
  }
  if (arms.length === 0) return [];
  const rows = await localUnitCountsQuery(
    db,
    { unit, levels: arms.map((a) => a.level).join(',') },
    { channelId, offsets: arms.map((a) => a.offsetMs), ...rangeColumns(arms) },
  );
  return rows.map((r) => ({ offsetMs: Number(r.o), k: Number(r.k), n: Number(r.n) }));
}

/** Arms per statement when a fold has many: well under SQLite's 500 compound terms. */
const ARMS_PER_STATEMENT = 200;

const pieceCountsQuery = preparedQuery(
  (
    db,
    s: { arms: number },
    v: { channelId: number; pieces: number[]; levels: number[]; froms: number[]; tos: number[] },
  ) => {
    const arm = (i: number) =>
      db
        .selectFrom('report_counts')
        .select([sql<number>`cast(${v.pieces[i]!} as bigint)`.as('i'), 'total as n'])
        .where('channel_id', '=', v.channelId)
        .where('level', '=', v.levels[i]!)
        .where('bucket', '>=', v.froms[i]!)
        .where('bucket', '<', v.tos[i]!);
    return db
      .selectFrom(unionOf(s.arms, arm).as('r'))
      .select(['i', (eb) => eb.fn.sum<number>('n').as('n')])
      .groupBy('i');
  },
);

/**
 * Report counts of consecutive pieces of whole buckets ([from, to) in quarter hours each), one
 * total per piece index. A piece is read at the coarsest levels that fit it, UTC days included:
 * a local week is six UTC day rows and the hours around them instead of 168 hour rows.
 */
export async function countsByPiece(
  db: Kysely<Database>,
  channelId: number,
  pieces: readonly { from: number; to: number }[],
): Promise<Map<number, number>> {
  const arms = pieces.flatMap((piece, i) =>
    decompose(piece.from, piece.to, TOTAL_LEVELS).map((range) => ({ piece: i, ...range })),
  );
  const totals = new Map<number, number>();
  if (arms.length > 0 && isPostgres(db)) {
    // PostgreSQL plans every statement it runs: a UNION of 150 arms took ~15 ms to plan. The ranges
    // as arrays make one small plan whatever their number; LATERAL keeps it one index range scan
    // per range (a plain join let the planner hash-join a scan of the whole table: 73 ms).
    const { levels, froms, tos } = rangeColumns(arms);
    const rows = await sql<{ i: number; n: number }>`
      select p.i, sum(c.total) as n
      from unnest(cast(${arms.map((a) => a.piece)} as bigint[]), cast(${levels} as int[]), cast(${froms} as bigint[]), cast(${tos} as bigint[])) as p(i, level, b_from, b_to)
      cross join lateral (select sum(total) as total from report_counts c where c.channel_id = ${channelId} and c.level = p.level and c.bucket >= p.b_from and c.bucket < p.b_to) c
      group by p.i`.execute(db);
    for (const r of rows.rows) totals.set(Number(r.i), Number(r.n));
    return totals;
  }
  for (let start = 0; start < arms.length; start += ARMS_PER_STATEMENT) {
    const chunk = arms.slice(start, start + ARMS_PER_STATEMENT);
    const rows = await pieceCountsQuery(
      db,
      { arms: chunk.length },
      { channelId, pieces: chunk.map((a) => a.piece), ...rangeColumns(chunk) },
    );
    for (const r of rows) totals.set(Number(r.i), (totals.get(Number(r.i)) ?? 0) + Number(r.n));
  }
  return totals;
}

const KEYED_COUNTS = {
  state: { table: 'report_state_counts', owner: 'channel_id', key: 'state_id' },
  user: { table: 'report_user_counts', owner: 'channel_id', key: 'user_id' },
  option: { table: 'report_option_counts', owner: 'field_id', key: 'option_id' },
} as const;

const keyedCountsQuery = preparedQuery(
  (
    db,
    s: { by: keyof typeof KEYED_COUNTS; arms: number },
    v: { owner: number; levels: number[]; froms: number[]; tos: number[] },
  ) => {
    const { table, owner, key } = KEYED_COUNTS[s.by];
    // The three tables differ only in their key columns' names.
    const arm = (i: number) =>
      db
        .selectFrom(table as 'report_state_counts')
        .select([sql<number>`${sql.ref(key)}`.as('k'), 'total as n'])
        .where(db.dynamic.ref<'channel_id'>(owner), '=', v.owner)
        .where('level', '=', v.levels[i]!)
        .where('bucket', '>=', v.froms[i]!)
        .where('bucket', '<', v.tos[i]!);
    return db
      .selectFrom(unionOf(s.arms, arm).as('r'))
      .select(['k', (eb) => eb.fn.sum<number>('n').as('n')])
      .groupBy('k');
  },
);

/** Counts of whole hours [fromBucket, toBucket) (in quarter hours) per state, per user or per option of a field: one statement. */
export async function countsByKey(
  db: Kysely<Database>,
  by: 'state' | 'user' | 'option',
  ownerId: number,
  fromBucket: number,
  toBucket: number,
): Promise<{ k: number; n: number }[]> {
  const ranges = decompose(fromBucket, toBucket, KEYED_LEVELS);
  if (ranges.length === 0) return [];
  const rows = await keyedCountsQuery(db, { by, arms: ranges.length }, { owner: ownerId, ...rangeColumns(ranges) });
  return rows.map((r) => ({ k: Number(r.k), n: Number(r.n) }));
}

/** Arms 0 … n-1 of one UNION ALL. */
function unionOf<Q extends { unionAll(other: Q): Q }>(arms: number, arm: (i: number) => Q): Q {
  let union = arm(0);
  for (let i = 1; i < arms; i++) union = union.unionAll(arm(i));
  return union;
}

type TimeRanges = readonly (readonly [number, number])[];
/** The non-empty ranges as bound values and the shape they give (undefined: nothing to read). */
function rangeValues(ranges: TimeRanges): { shape: { arms: number }; froms: number[]; tos: number[] } | undefined {
  const nonEmpty = ranges.filter(([from, to]) => from < to);
  if (nonEmpty.length === 0) return undefined;
  return { shape: { arms: nonEmpty.length }, froms: nonEmpty.map((r) => r[0]), tos: nonEmpty.map((r) => r[1]) };
}

const reportsBetweenQuery = preparedQuery(
  (db, s: { arms: number }, v: { channelId: number; froms: number[]; tos: number[] }) =>
    unionOf(s.arms, (i) =>
      db
        .selectFrom('reports')
        .select(['created_at', 'state_id', 'user_id'])
        .where('channel_id', '=', v.channelId)
        .where('created_at', '>=', v.froms[i]!)
        .where('created_at', '<', v.tos[i]!),
    ),
);

/** Raw reports of time ranges (the partial quarter hours or hours at a window's edges). */
export async function reportsBetween(db: Kysely<Database>, channelId: number, ranges: TimeRanges) {
  const r = rangeValues(ranges);
  return r ? reportsBetweenQuery(db, r.shape, { channelId, froms: r.froms, tos: r.tos }) : [];
}

const optionIdsBetweenQuery = preparedQuery(
  (db, s: { arms: number }, v: { channelId: number; formId: number; froms: number[]; tos: number[] }) =>
    unionOf(s.arms, (i) =>
      db
        .selectFrom('reports')
        .select(['created_at', 'option_ids'])
        .where('channel_id', '=', v.channelId)
        .where('created_at', '>=', v.froms[i]!)
        .where('created_at', '<', v.tos[i]!)
        .where('form_id', '=', v.formId)
        .where('option_ids', 'is not', null),
    ),
);

/** Selected option ids (JSON arrays) of a form's reports in time ranges (a window's edges). */
export async function optionIdsBetween(db: Kysely<Database>, channelId: number, formId: number, ranges: TimeRanges) {
  const r = rangeValues(ranges);
  return r ? optionIdsBetweenQuery(db, r.shape, { channelId, formId, froms: r.froms, tos: r.tos }) : [];
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

export type ReadField = 'total_reads' | 'unique_reads' | 'report_readers' | 'reports_seen';

/**
 * Reads made in [from, to) of a channel's reports: exact counts, only those asked. Each question
 * reads the index whose order answers it: time (total), (user, report) pairs, report.
 */
export async function readCounts(
  db: Kysely<Database>,
  channelId: number,
  from: number,
  to: number,
  fields: readonly ReadField[],
): Promise<Partial<Record<ReadField, number>>> {
  const inWindow = db
    .selectFrom('report_reads')
    .where('channel_id', '=', channelId)
    .where('read_at', '>=', from)
    .where('read_at', '<', to);
  const out: Partial<Record<ReadField, number>> = {};
  if (fields.includes('unique_reads') || fields.includes('report_readers')) {
    // Grouped in (user, report) order: one row per distinct pair, no sort.
    const pairs = inWindow
      .select(['user_id', (eb) => eb.fn.countAll<number>().as('c')])
      .groupBy(['user_id', 'report_id'])
      .as('pairs');
    const row = await db
      .selectFrom(pairs)
      .select((eb) => [
        eb.fn.countAll<number>().as('unique_reads'),
        eb.fn.sum<number>('c').as('total_reads'),
        eb.fn.count<number>('user_id').distinct().as('report_readers'),
      ])
      .executeTakeFirstOrThrow();
    out.unique_reads = Number(row.unique_reads);
    out.report_readers = Number(row.report_readers);
    out.total_reads = Number(row.total_reads ?? 0);
  } else if (fields.includes('total_reads')) {
    out.total_reads = Number(
      (await inWindow.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    );
  }
  if (fields.includes('reports_seen')) {
    const reports = inWindow.select('report_id').groupBy('report_id').as('seen');
    out.reports_seen = Number(
      (
        await db
          .selectFrom(reports)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  }
  return out;
}

/** Per user who received alerts of a channel in [from, to): exact counts. */
export async function awarenessCounts(db: Kysely<Database>, channelId: number, from: number, to: number) {
  const rows = await db
    .selectFrom('alert_deliveries as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select((eb) => [
      'd.user_id',
      'u.first_name',
      'u.last_name',
      eb.fn.countAll<number>().as('total_alerts'),
      eb.fn.count<number>('d.alert_id').distinct().as('unique_alerts'),
      eb.fn.count<number>('d.report_id').distinct().as('alert_source_reports'),
      // Alerts delivered to the user in the window that the user opened (at any time).
      eb.fn
        .count<number>(
          eb
            .case()
            .when(
              eb.exists(
                eb
                  .selectFrom('alert_opens as o')
                  .select('o.id')
                  .whereRef('o.alert_id', '=', 'd.alert_id')
                  .whereRef('o.user_id', '=', 'd.user_id'),
              ),
            )
            .then(eb.ref('d.alert_id'))
            .end(),
        )
        .distinct()
        .as('alerts_opened'),
    ])
    .where('d.channel_id', '=', channelId)
    .where('d.sent_at', '>=', from)
    .where('d.sent_at', '<', to)
    .groupBy(['d.user_id', 'u.first_name', 'u.last_name'])
    .orderBy('d.user_id')
    .execute();
  return rows.map((r) => ({
    user_id: r.user_id,
    first_name: r.first_name,
    last_name: r.last_name,
    total_alerts: Number(r.total_alerts),
    unique_alerts: Number(r.unique_alerts),
    alert_source_reports: Number(r.alert_source_reports),
    alerts_opened: Number(r.alerts_opened),
  }));
}

/**
 * Recomputes every pre-aggregated count from the raw rows (bulk loads and imports write reports
 * without going through insertReport; this brings the counts in line in one pass per table).
 */
export async function rebuildReportCounts(db: Kysely<Database>): Promise<void> {
  // One row per selected option: its field, its id and its report's time.
  const [selected, optionId] = isPostgres(db)
    ? ['json_array_elements_text(r.option_ids::json) as j(id)', 'j.id::bigint']
    : ['json_each(r.option_ids) as j', 'j.value'];
  const selections = `(select o.field_id, o.id as option_id, r.created_at from reports r cross join ${selected} join field_options o on o.id = ${optionId} where r.option_ids is not null) as s`;
  const sources: [CountTable, string, string[], string][] = [
    ['report_counts', 'channel_id', [], 'reports'],
    ['report_state_counts', 'channel_id', ['state_id'], 'reports where state_id is not null'],
    ['report_user_counts', 'channel_id', ['user_id'], 'reports'],
    ['report_option_counts', 'field_id', ['option_id'], selections],
  ];
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('report_channel_totals').execute();
    await sql`insert into report_channel_totals (channel_id, account_id) select id, account_id from channels`.execute(
      trx,
    );
    for (const [column, [source, aggregate]] of Object.entries(CHANNEL_TOTALS)) {
      await sql
        .raw(
          `update report_channel_totals set ${column} = s.n from (select channel_id, ${aggregate} as n from ${source} group by channel_id) as s where s.channel_id = report_channel_totals.channel_id`,
        )
        .execute(trx);
    }
    for (const [table, owner, keys, source] of sources) {
      await trx.deleteFrom(table).execute();
      const columns = [owner, ...keys].join(', ');
      for (const level of LEVELS_OF[table]) {
        const bucket = `created_at / ${BUCKET_MS * LEVEL_SIZES[level]!}`;
        await sql
          .raw(
            `insert into ${table} (${columns}, level, bucket, total) select ${columns}, ${level}, ${bucket}, count(*) from ${source} group by ${columns}, ${bucket}`,
          )
          .execute(trx);
      }
    }
  });
}

export async function insertImage(db: Kysely<Database>, row: Insertable<ReportImagesTable>) {
  return atomically(db, async (trx) => {
    const image = await trx
      .insertInto('report_images')
      .values(row)
      .returning(['id', 'account_id', 'report_id', 'created_at', 'width', 'height'])
      .executeTakeFirstOrThrow();
    await addChannelTotals(trx, row.channel_id, row.account_id, { images: 1, image_bytes: row.bytes });
    return image;
  });
}

export async function findImage(db: Kysely<Database>, id: number) {
  return db.selectFrom('report_images').select(['id', 'account_id', 'path']).where('id', '=', id).executeTakeFirst();
}

/** Images of a channel's reports created in [from, to), by report time then id: one index range. */
export async function imagesBetween(
  db: Kysely<Database>,
  channelId: number,
  from: number,
  to: number,
  offset: number,
  limit: number,
) {
  return db
    .selectFrom('report_images')
    .select(['id', 'account_id', 'report_id', 'created_at'])
    .where('channel_id', '=', channelId)
    .where('report_created_at', '>=', from)
    .where('report_created_at', '<', to)
    .orderBy('report_created_at')
    .orderBy('id')
    .limit(limit)
    .offset(offset)
    .execute();
}
