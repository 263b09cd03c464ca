import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import sharp from 'sharp';
import { cachedInstanceSecret, SECRETS } from '../auth/instance.js';
import { imageFilesPage } from './channels.repository.js';
import type { AuthUser } from '../auth/service.js';
import { hasPermission } from '../auth/permissions.js';
import { atomically } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { JsonBytes } from '../http/cached-json.js';
import { forbidden, invalidParams } from '../http/errors.js';
import { accountPath, type FileStorage } from '../storage/files.js';
import * as repo from './repository.js';
import { getReport } from './service.js';

/**
 * Report images: the upload is decoded by sharp (anything it cannot decode is refused), and two
 * JPEG variants are stored next to the original. Clients get the variants through signed,
 * expiring URLs that work in an `<img>` without headers; the original is kept, never served.
 */

export const IMAGE_STYLES = ['thumb', 'medium'] as const;
export type ImageStyle = (typeof IMAGE_STYLES)[number];

// Every upload is a new picture: libvips' operation cache (50 MiB by default) would only hold memory.
sharp.cache(false);

/** Formats sharp decodes that a field report may carry; SVG (a document, not a photo) is refused. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);
/** Decompression bombs: a small file can claim billions of pixels. 50 MP covers any phone camera. */
export const MAX_IMAGE_PIXELS = 50_000_000;

type Caller = Pick<AuthUser, 'userId' | 'accountId' | 'roles'>;

interface Variants {
  format: string;
  width: number;
  height: number;
  thumb: Buffer;
  medium: Buffer;
}

const notAnImage = (why: string) => invalidParams(`body: ${why}`, { field: 'body' });

/** Decodes `input` and renders the styles: thumb 150×150 cropped, medium within 800×800. */
export async function renderVariants(input: Buffer): Promise<Variants> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input).metadata();
  } catch {
    throw notAnImage('not an image (send JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF)');
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format))
    throw notAnImage(
      `${meta.format ?? 'this'} images are not accepted (send JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF)`,
    );
  if (!meta.width || !meta.height) throw notAnImage('the image has no size');
  if (meta.width * meta.height > MAX_IMAGE_PIXELS)
    throw notAnImage(`the image has more than ${MAX_IMAGE_PIXELS / 1e6} megapixels`);
  // rotate() applies the EXIF orientation; the output carries no metadata (no GPS position).
  const base = sharp(input, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS })
    .rotate()
    .flatten({ background: '#ffffff' });
  try {
    const [thumb, medium] = await Promise.all([
      base.clone().resize(150, 150, { fit: 'cover' }).jpeg({ quality: 80, mozjpeg: true }).toBuffer(),
      base
        .clone()
        .resize(800, 800, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 82, mozjpeg: true })
        .toBuffer(),
    ]);
    const upright = (meta.orientation ?? 1) >= 5; // EXIF orientations 5–8 swap width and height
    return {
      format: meta.format,
      width: upright ? meta.height : meta.width,
      height: upright ? meta.width : meta.height,
      thumb,
      medium,
    };
  } catch {
    throw notAnImage('the image is damaged and cannot be decoded');
  }
}

export interface StoredImage {
  id: number;
  account_id: number;
  report_id: number;
  created_at: number;
  width: number;
  height: number;
}

/**
 * Stores an image of a report: the reporter of the report, or anyone who manages reports in its
 * account. Files first, then the row; files of a failed insert are removed.
 */
export async function addReportImage(
  db: Kysely<Database>,
  storage: FileStorage,
  caller: Caller,
  reportId: number,
  body: Buffer,
  nowMs = Date.now(),
): Promise<StoredImage> {
  const report = await getReport(db, caller, reportId);
  if (report.user_id !== caller.userId && !hasPermission(caller, 'manage-reports'))
    throw forbidden('only the reporter or a manager can add images to a report');
  if (body.length === 0) throw notAnImage('the body is empty');
  const variants = await renderVariants(body);
  // A fresh directory per upload: ids come from the database, names never from the client.
  const dir = accountPath('report-images', report.account_id, `${report.id}/${randomBytes(8).toString('hex')}`);
  const files = [`${dir}/original.${variants.format}`, `${dir}/thumb.jpg`, `${dir}/medium.jpg`];
  try {
    await Promise.all([
      storage.writeBuffer(files[0]!, body),
      storage.writeBuffer(files[1]!, variants.thumb),
      storage.writeBuffer(files[2]!, variants.medium),
    ]);
    return await atomically(db, (trx) =>
      repo.insertImage(trx, {
        account_id: report.account_id,
        channel_id: report.channel_id,
        report_id: report.id,
        report_created_at: report.created_at,
        created_at: nowMs,
        path: dir,
        format: variants.format,
        width: variants.width,
        height: variants.height,
        bytes: body.length,
      }),
    );
  } catch (error) {
    await Promise.all(files.map((file) => storage.remove(file).catch(() => undefined)));
    throw error;
  }
}

/** At most this many signatures (about 100 bytes each) and listing entries (about 400) are kept. */
const MEMO_LIMIT = 100_000;
const ENTRY_MEMO_LIMIT = 40_000;
/** Whole listings kept, the least recently sent dropped first (a 1,000-image listing is ~370 KB). */
const LISTING_MEMO_BYTES = 8 * 1024 * 1024;
/**
 * Smaller listings are copied from their entries each time (a few µs). Keeping them would let
 * windows and Host headers that list little make up most of the memo in entries, not bytes.
 */
const MIN_KEPT_LISTING_BYTES = 16 * 1024;

interface KeptListing {
  ids: readonly number[];
  bytes: Buffer;
  /** What it holds: its bytes and its ids (8 bytes each). */
  size: number;
}

/**
 * What stays the same for an hour under one key: signatures by image, listing entries by base and
 * image, and whole listings by base and images.
 */
const memo: {
  expires: number;
  key: Buffer | undefined;
  byId: Map<number, string>;
  entries: Map<string, Map<number, Buffer>>;
  entryCount: number;
  listings: Map<string, KeptListing>;
  listingBytes: number;
} = {
  expires: 0,
  key: undefined,
  byId: new Map(),
  entries: new Map(),
  entryCount: 0,
  listings: new Map(),
  listingBytes: 0,
};

const listingKey = (baseUrl: string, ids: readonly number[]) => `${baseUrl}|${ids.length}|${ids[0]}|${ids.at(-1)}`;

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Signs and checks style URLs with the installation's secret. */
export class ImageUrls {
  static async for(db: Kysely<Database>, ttlMs: number): Promise<ImageUrls> {
    return new ImageUrls(await cachedInstanceSecret(db, SECRETS.imageUrls), ttlMs);
  }

  private constructor(
    private readonly key: Buffer,
    private readonly ttlMs: number,
  ) {}

  /** One signature per image and expiry: it grants every style of that image (they show the same picture). */
  private signature(id: number, expires: number): Buffer {
    return createHmac('sha256', this.key).update(`report-image:${id}:${expires}`).digest();
  }

  /**
   * The signature as it goes in a URL. An expiry lasts an hour and dashboards list the same images
   * again and again within it, so this hour's signatures are kept (an HMAC takes ~7 µs: 7 ms for
   * 1,000 images); a new hour or a new key starts over, and a full memo is emptied.
   */
  private urlSignature(id: number, expires: number): string {
    this.memoFor(expires);
    let signature = memo.byId.get(id);
    if (signature === undefined) {
      if (memo.byId.size >= MEMO_LIMIT) memo.byId.clear();
      signature = this.signature(id, expires).toString('base64url');
      memo.byId.set(id, signature);
    }
    return signature;
  }

  /** The memo of this hour and key: another hour or key starts over. */
  private memoFor(expires: number): typeof memo {
    if (memo.expires !== expires || memo.key !== this.key) {
      memo.byId.clear();
      memo.entries.clear();
      memo.entryCount = 0;
      memo.listings.clear();
      memo.listingBytes = 0;
      memo.expires = expires;
      memo.key = this.key;
    }
    return memo;
  }

  /**
   * An image's entry in a listing as JSON (`make()`) in UTF-8, kept like its signature: within the
   * hour the entry of an image under one base never changes (an image's id, report and time are
   * fixed), and building, signing and escaping it was most of a 1,000-image listing's time. Kept as
   * bytes: joining 1,000 kept strings and encoding the result took ten times as long as copying
   * 1,000 kept buffers into one (JsonBytes.array).
   */
  listingEntry(baseUrl: string, id: number, expires: number, make: () => string): Buffer {
    const { entries } = this.memoFor(expires);
    let ofBase = entries.get(baseUrl);
    if (!ofBase) entries.set(baseUrl, (ofBase = new Map()));
    let bytes = ofBase.get(id);
    if (bytes === undefined) {
      if (memo.entryCount >= ENTRY_MEMO_LIMIT) {
        entries.clear();
        entries.set(baseUrl, ofBase);
        ofBase.clear();
        memo.entryCount = 0;
      }
      bytes = Buffer.from(make());
      ofBase.set(id, bytes);
      memo.entryCount++;
    }
    return bytes;
  }

  /**
   * The listing (a JSON array of entries, UTF-8) of exactly these images, if every entry is kept.
   * A listing depends only on its images, base and hour: one sent before is sent again as the same
   * bytes, without copying 1,000 entries into fresh memory.
   */
  keptListing(baseUrl: string, ids: readonly number[], expires: number): Buffer | undefined {
    const { listings, entries } = this.memoFor(expires);
    const key = listingKey(baseUrl, ids);
    const whole = listings.get(key);
    if (whole && sameIds(whole.ids, ids)) {
      listings.delete(key);
      listings.set(key, whole);
      return whole.bytes;
    }
    const ofBase = entries.get(baseUrl);
    const kept: Buffer[] = [];
    for (const id of ids) {
      const entry = ofBase?.get(id);
      if (entry === undefined) return undefined;
      kept.push(entry);
    }
    return this.keepListing(key, ids, kept);
  }

  /** The listing of these images, their entries made by `make` where not kept yet. */
  makeListing<I extends { id: number }>(
    baseUrl: string,
    images: readonly I[],
    expires: number,
    make: (image: I) => string,
  ): Buffer {
    const ids = images.map((image) => image.id);
    const entries = images.map((image) => this.listingEntry(baseUrl, image.id, expires, () => make(image)));
    return this.keepListing(listingKey(baseUrl, ids), ids, entries);
  }

  private keepListing(key: string, ids: readonly number[], entries: readonly Buffer[]): Buffer {
    const bytes = JsonBytes.array(entries).bytes;
    const size = bytes.length + ids.length * 8;
    if (bytes.length < MIN_KEPT_LISTING_BYTES || size > LISTING_MEMO_BYTES / 2) return bytes;
    const old = memo.listings.get(key);
    if (old) memo.listingBytes -= old.size;
    memo.listings.delete(key);
    for (const [oldest, listing] of memo.listings) {
      if (memo.listingBytes + size <= LISTING_MEMO_BYTES) break;
      memo.listings.delete(oldest);
      memo.listingBytes -= listing.size;
    }
    memo.listings.set(key, { ids, bytes, size });
    memo.listingBytes += size;
    return bytes;
  }

  /** Expiry rounded up to a whole hour: the same URL for an hour, so browsers and proxies cache it. */
  expiresAt(nowMs = Date.now()): number {
    return Math.ceil((nowMs + this.ttlMs) / 3_600_000) * 3_600;
  }

  styles(baseUrl: string, id: number, expires: number): Record<ImageStyle, string> {
    const query = `.jpg?expires=${expires}&signature=${this.urlSignature(id, expires)}`;
    return {
      thumb: `${baseUrl}/api/v4/report-images/${id}/thumb${query}`,
      medium: `${baseUrl}/api/v4/report-images/${id}/medium${query}`,
    };
  }

  /** Constant-time check of a URL's signature, then of its expiry (seconds since the epoch). */
  check(id: number, expires: number, signature: string, nowMs = Date.now()): 'ok' | 'invalid' | 'expired' {
    const given = Buffer.from(signature, 'base64url');
    const expected = this.signature(id, expires);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return expires * 1000 > nowMs ? 'ok' : 'expired';
  }
}

export const imageFile = (image: { path: string }, style: ImageStyle) => `${image.path}/${style}.jpg`;

/** Every stored image file (original and variants), relative to the storage root, read by id pages. */
export async function* imageStoredFiles(db: Kysely<Database>): AsyncGenerator<string> {
  for (let after = 0; ;) {
    const rows = await imageFilesPage(db, after, 5000);
    for (const row of rows)
      for (const name of [`original.${row.format}`, 'thumb.jpg', 'medium.jpg']) yield `${row.path}/${name}`;
    if (rows.length < 5000) return;
    after = rows.at(-1)!.id;
  }
}
