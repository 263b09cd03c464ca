import type { Kysely } from 'kysely';
import { forUpdate } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import type { FileStorage } from '../storage/files.js';
import { CountDeltas, type Selection } from './counts/count-deltas.js';
import { READ_KINDS, unlinkReads } from './distinct/read-chains.js';
import { addChannelTotals } from './repository.js';

/**
 * Report retention: reports created before the cutoff go with their reads, alerts (deliveries and
 * opens) and images, one channel's batch per transaction. Every count they were part of (channel,
 * state, user and option counts at every level, and the channel's running totals) is subtracted in
 * that transaction from exactly the rows the deletes removed, so counts stay equal to a recount
 * even when two janitors race (the second deletes, and subtracts, nothing).
 */

/**
 * Deletes up to `limit` reports of one of the account's channels created before `cutoffMs`.
 * Returns how many went (0 when another janitor took them first); undefined when none has expired.
 */
export async function deleteExpiredReports(
  db: Kysely<Database>,
  storage: FileStorage,
  accountId: number,
  cutoffMs: number,
  limit: number,
): Promise<number | undefined> {
  const channels = await db.selectFrom('channels').select('id').where('account_id', '=', accountId).execute();
  for (const { id: channelId } of channels) {
    const expired = await db
      .selectFrom('reports')
      .select('id')
      .where('channel_id', '=', channelId)
      .where('created_at', '<', cutoffMs)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    if (expired.length === 0) continue;
    const { deleted, imageDirectories } = await db.transaction().execute((trx) =>
      deleteReports(
        trx,
        accountId,
        channelId,
        expired.map((r) => r.id),
      ),
    );
    // Committed: the images are no one's now. A crash here leaves files no row names (never the reverse).
    for (const directory of imageDirectories) await storage.removeTree(directory).catch(() => undefined);
    return deleted;
  }
  return undefined;
}

/** Deletes reports of one channel and everything hanging off them, and uncounts them (in `trx`). */
async function deleteReports(
  trx: Kysely<Database>,
  accountId: number,
  channelId: number,
  ids: number[],
): Promise<{ deleted: number; imageDirectories: string[] }> {
  // Lock the reports first (PostgreSQL), so a read or alert being added to one waits for the delete.
  await forUpdate(trx, trx.selectFrom('reports').select('id').where('id', 'in', ids)).execute();
  const counts = new CountDeltas();
  const reads = await trx.deleteFrom('report_reads').where('report_id', 'in', ids).returningAll().execute();
  // Children before their parents: a cascade would delete them without saying whose they were.
  const alertIds = (await trx.selectFrom('alerts').select('id').where('report_id', 'in', ids).execute()).map(
    (a) => a.id,
  );
  if (alertIds.length > 0) {
    await trx.deleteFrom('alert_opens').where('alert_id', 'in', alertIds).execute();
    const deliveries = await trx
      .deleteFrom('alert_deliveries')
      .where('alert_id', 'in', alertIds)
      .returning(['channel_id', 'user_id', 'sent_at', 'opened'])
      .execute();
    for (const d of deliveries) counts.removeDelivery(d);
    await trx.deleteFrom('alerts').where('id', 'in', alertIds).execute();
  }
  const images = await trx
    .deleteFrom('report_images')
    .where('report_id', 'in', ids)
    .returning(['path', 'bytes'])
    .execute();
  const reports = await trx
    .deleteFrom('reports')
    .where('id', 'in', ids)
    .where('channel_id', '=', channelId)
    .returning(['channel_id', 'user_id', 'state_id', 'created_at', 'option_ids'])
    .execute();

  const optionIds = new Set<number>();
  const chosen = reports.map((r) => (r.option_ids === null ? [] : (JSON.parse(r.option_ids) as number[])));
  for (const ids of chosen) for (const id of ids) optionIds.add(id);
  const fieldOf = await fieldsOfOptions(trx, [...optionIds]);
  reports.forEach((report, i) => {
    const selections: Selection[] = [];
    for (const option_id of chosen[i]!) {
      const field_id = fieldOf.get(option_id);
      if (field_id !== undefined) selections.push({ field_id, option_id });
    }
    counts.addReport(report, selections, -1);
  });
  // Channel totals first, then the counts: the order every report write takes them in.
  await addChannelTotals(trx, channelId, accountId, {
    reports: -reports.length,
    reads: -reads.length,
    alerts: -alertIds.length,
    images: -images.length,
    image_bytes: -images.reduce((sum, image) => sum + Number(image.bytes), 0),
  });
  // Under the channel's lock (its totals row): a report's reads all went with it, a user's others stay.
  await unlinkReads(trx, channelId, reads, [READ_KINDS.user]);
  await counts.flush(trx);
  return { deleted: reports.length, imageDirectories: images.map((image) => image.path) };
}

async function fieldsOfOptions(trx: Kysely<Database>, optionIds: number[]): Promise<Map<number, number>> {
  const fields = new Map<number, number>();
  for (let i = 0; i < optionIds.length; i += 1000) {
    const rows = await trx
      .selectFrom('field_options')
      .select(['id', 'field_id'])
      .where('id', 'in', optionIds.slice(i, i + 1000))
      .execute();
    for (const row of rows) fields.set(row.id, row.field_id);
  }
  return fields;
}
