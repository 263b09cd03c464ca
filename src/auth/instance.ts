import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import * as repo from './repository.js';

/** What belongs to the installation rather than to an account: its identity and its secrets. */

/** The instance's identity: unique id and install instant (written at first start). */
export async function instanceIdentity(db: Kysely<Database>): Promise<{ uniqueId: string; installedAt: string }> {
  const [uniqueId, installedAt] = await Promise.all([
    repo.getInstanceSetting(db, 'unique_id'),
    repo.getInstanceSetting(db, 'installed_at'),
  ]);
  return { uniqueId: uniqueId ?? '', installedAt: installedAt ? new Date(Number(installedAt)).toISOString() : '' };
}

/**
 * A random secret of this installation, created on first use and shared by every instance (the
 * first writer wins; the others read its value). Used to sign what carries no API credentials:
 * download and upload tokens, report image URLs.
 */
export async function instanceSecret(db: Kysely<Database>, name: string): Promise<Buffer> {
  const key = `secret:${name}`;
  await repo.putInstanceSettingIfAbsent(db, key, randomBytes(32).toString('base64url'));
  const value = await repo.getInstanceSetting(db, key);
  if (!value) throw new Error(`instance secret ${name} is missing`);
  return Buffer.from(value, 'base64url');
}

const secretCache = new WeakMap<Kysely<Database>, Map<string, Promise<Buffer>>>();

/** instanceSecret, read once per database handle (a rotation takes effect at the next start). */
export function cachedInstanceSecret(db: Kysely<Database>, name: string): Promise<Buffer> {
  let secrets = secretCache.get(db);
  if (!secrets) secretCache.set(db, (secrets = new Map()));
  let secret = secrets.get(name);
  if (!secret) {
    secret = instanceSecret(db, name);
    secrets.set(name, secret);
    secret.catch(() => secrets.delete(name));
  }
  return secret;
}

/** The installation's secrets, by use: what signs download/upload tokens, and report image URLs. */
export const SECRETS = { fileTokens: 'file-tokens', imageUrls: 'image-urls' } as const;

/** The secrets `recap secrets rotate` replaces: every token and image URL signed so far stops working. */
export const ROTATED_SECRETS = Object.values(SECRETS);

export async function rotateInstanceSecrets(db: Kysely<Database>): Promise<readonly string[]> {
  for (const name of ROTATED_SECRETS)
    await repo.putInstanceSetting(db, `secret:${name}`, randomBytes(32).toString('base64url'));
  return ROTATED_SECRETS;
}
