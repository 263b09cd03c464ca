import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { findApiClient } from '../auth/service.js';
import type { Database, WebhookDeliveryRow } from '../db/schema.js';
import { invalidParams } from '../http/errors.js';
import * as repo from './repository.js';
import type { DeliveriesQuery, SettingsBody } from './schemas.js';

/**
 * Webhooks out. An event is queued in the transaction of the write it reports, so it is sent if and
 * only if that write happened; delivery.ts sends it later, never on the request path. Each event
 * goes to the account's default URL and, for a room's events, to the URL its session named, once
 * per distinct URL; every URL gets the same body.
 */

/** plugNmeet's events (its CommonNotifyEvent), then Recap's own for the Reports v4 side. */
export const WEBHOOK_EVENTS = [
  'recording_proceeded',
  'analytics_proceeded',
  'report_created',
  'reports_imported',
  'alert_opened',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Deliveries (delivered or given up) are kept this long for the log. */
export const DELIVERY_LOG_DAYS = 30;
export const MAX_URL_LENGTH = 2048;

/** A webhook URL as a tenant may give it: absolute http(s), no credentials; undefined when not. */
export function webhookTarget(value: string): URL | undefined {
  if (value.length > MAX_URL_LENGTH) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return undefined;
  return url;
}

export interface EventToQueue {
  accountId: number;
  event: WebhookEvent;
  /** The event's own fields, in the order they are sent (plugNmeet's: room, then what happened). */
  payload: Record<string, unknown>;
  /** The webhook URL of the session the event belongs to ('' or absent when none). */
  sessionUrl?: string | undefined;
}

/**
 * Queues an event for every URL it goes to; call it with the transaction of the write it reports.
 * The envelope is plugNmeet's: `event`, the payload, `id` (a UUID) and `created_at` (unix seconds,
 * a string as protojson writes int64). Returns the number of deliveries queued.
 */
export async function queueWebhookEvent(trx: Kysely<Database>, e: EventToQueue, now = Date.now()): Promise<number> {
  const settings = await repo.findSettings(trx, e.accountId);
  // Each distinct URL once; the host limits connections per receiver in delivery.ts.
  const targets = new Map<string, string>();
  for (const url of [settings?.url ?? '', e.sessionUrl ?? '']) {
    const target = url === '' ? undefined : webhookTarget(url);
    if (target) targets.set(url, target.host.toLowerCase());
  }
  if (targets.size === 0) return 0;
  const eventId = randomUUID();
  const body = JSON.stringify({
    event: e.event,
    ...e.payload,
    id: eventId,
    created_at: String(Math.floor(now / 1000)),
  });
  await repo.insertDeliveries(
    trx,
    [...targets].map(([url, host]) => ({
      account_id: e.accountId,
      event_id: eventId,
      event: e.event,
      url,
      host,
      body,
      state: 'pending',
      next_attempt_at: now,
      created_at: now,
    })),
  );
  return targets.size;
}

export interface WebhookSettings {
  account_id: number;
  url: string;
  signing_api_key: string | null;
}

export async function getWebhookSettings(db: Kysely<Database>, accountId: number): Promise<WebhookSettings> {
  const row = await repo.findSettings(db, accountId);
  return { account_id: accountId, url: row?.url ?? '', signing_api_key: row?.signing_api_key ?? null };
}

/** Sets an account's default URL ('' for none) and signing key (null: the oldest active key). */
export async function putWebhookSettings(
  db: Kysely<Database>,
  accountId: number,
  body: Omit<SettingsBody, 'account_id'>,
  now = Date.now(),
): Promise<WebhookSettings> {
  const url = body.url.trim();
  if (url !== '' && !webhookTarget(url))
    throw invalidParams(
      `url must be an absolute http or https URL without credentials, at most ${MAX_URL_LENGTH} characters`,
      {
        field: 'url',
      },
    );
  const key = body.signing_api_key ?? null;
  if (key !== null && (await findApiClient(db, key))?.accountId !== accountId)
    throw invalidParams(`signing_api_key "${key}" is not an active API key of this account`, {
      field: 'signing_api_key',
    });
  await repo.putSettings(db, { account_id: accountId, url, signing_api_key: key, updated_at: now });
  return { account_id: accountId, url, signing_api_key: key };
}

const DELIVERIES_PAGE = 50;

/** A page of an account's delivery log, newest first; `before` is the last id of the previous page. */
export async function listDeliveries(db: Kysely<Database>, accountId: number, query: DeliveriesQuery) {
  const limit = query.limit ?? DELIVERIES_PAGE;
  const rows = await repo.pageDeliveries(db, {
    accountId,
    before: query.before,
    limit,
    event: query.event,
    ...(query.state === undefined ? {} : { state: query.state }),
  });
  return { items: rows.map(deliveryView), next_before: rows.length === limit ? rows.at(-1)!.id : null };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function deliveryView(row: WebhookDeliveryRow) {
  return {
    id: row.id,
    event_id: row.event_id,
    event: row.event,
    url: row.url,
    state: row.state,
    attempts: row.attempts,
    created_at: iso(row.created_at)!,
    last_attempt_at: iso(row.last_attempt_at),
    last_status: row.last_status,
    last_error: row.last_error,
    delivered_at: iso(row.delivered_at),
    next_attempt_at: row.state === 'pending' ? iso(row.next_attempt_at) : null,
    body: row.body,
  };
}
