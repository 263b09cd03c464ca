import type { Kysely } from 'kysely';
import { userNamesOfAccount } from '../../auth/user-names.js';
import type { Database } from '../../db/schema.js';
import { invalidParams } from '../../http/errors.js';
import { getAwarenessCounts } from './queries/get-awareness-counts.js';
import { getImageIdsBetween, getImagesBetween } from './queries/get-images-between.js';
import { getReadCounts } from './queries/get-read-counts.js';
import type { AwarenessField, ReadField } from './schemas.js';
import type { Window } from './service.js';

/** The analytics that are not report counts: reads, alerts and images of a window. */

/** `fields=a,b`: absent → only the first (default) field; otherwise exactly those asked; unknown → 400. */
export function selectFields<F extends string>(raw: string | undefined, allowed: readonly F[]): F[] {
  if (raw === undefined) return [allowed[0]!];
  const asked = raw
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = asked.filter((f) => !(allowed as readonly string[]).includes(f));
  if (unknown.length > 0 || asked.length === 0)
    throw invalidParams(
      `fields: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ') || '(none given)'}; allowed: ${allowed.join(', ')}`,
      { field: 'fields' },
    );
  return allowed.filter((f) => asked.includes(f));
}

export async function reportsRead(db: Kysely<Database>, w: Window, fields: readonly ReadField[]) {
  const counts = await getReadCounts(db, w.channelId, w.start, w.end, fields);
  return Object.fromEntries(fields.map((f) => [f, counts[f] ?? 0]));
}

export async function userAwareness(db: Kysely<Database>, w: Window, fields: readonly AwarenessField[]) {
  const { rows, names } = await getAwarenessCounts(
    db,
    w.channelId,
    w.start,
    w.end,
    userNamesOfAccount(db, w.accountId),
  );
  // Fields added one by one in the same order: every row gets one object shape (a spread of
  // Object.fromEntries per row was a fifth of the endpoint's time at 500 recipients).
  return rows.map((r) => {
    const name = names.get(r.user_id);
    const row: Partial<Record<AwarenessField, number>> & { user_id: number; first_name: string; last_name: string } = {
      user_id: r.user_id,
      first_name: name?.first_name ?? '',
      last_name: name?.last_name ?? '',
    };
    for (const field of fields) row[field] = r[field];
    return row;
  });
}

export const MAX_IMAGES = 10_000;

export type ListedImage = Awaited<ReturnType<typeof getImagesBetween>>[number];

/** How reports_images' answers are made and kept (ImageUrls): by the images they list. */
export interface ImageListings {
  /** The answer listing exactly these images, if it can be made from what is kept. */
  kept(ids: readonly number[]): Buffer | undefined;
  make(images: readonly ListedImage[]): Buffer;
}

/**
 * reports_images: the listing (JSON, UTF-8) of the images of the channel's reports created in the
 * window, by report time then id. An image's entry never changes within the hour its URLs expire
 * on, and dashboards list the same images again and again: the ids are read first, and the images'
 * columns only when the answer cannot be made from what is kept.
 */
export async function reportsImagesListing(
  db: Kysely<Database>,
  w: Window,
  from: number,
  limit: number,
  listings: ImageListings,
): Promise<Buffer> {
  const between = {
    channelId: w.channelId,
    from: w.start,
    to: w.end,
    offset: from,
    limit: Math.min(limit, MAX_IMAGES),
  };
  const ids = await getImageIdsBetween(db, between);
  // The full read answers on its own: images written since the ids were read are in it.
  return listings.kept(ids) ?? listings.make(await getImagesBetween(db, between));
}
