import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Kysely } from 'kysely';
import { AccessToken } from 'livekit-server-sdk';
import { signingApiClient } from '../auth/service.js';
import type { Database, WebhookDeliveryRow } from '../db/schema.js';
import { startPeriodic } from '../shared/periodic.js';
import * as repo from './repository.js';
import { DELIVERY_LOG_DAYS } from './service.js';
import { isRefusedAddress, targetAgents, type AllowedHosts, type TargetAgents } from './target-guard.js';

/**
 * Sends queued webhook deliveries. Every instance runs a worker; a row is claimed by one of them at
 * a time (repository.claimDue) and its outcome recorded only by that claim. Connections are limited
 * in all and per host, so a receiver that hangs holds at most PER_HOST of them, for at most the
 * timeout; a failed delivery is retried with exponential backoff until a day after its event.
 */

export interface DeliveryOptions {
  allowedHosts: AllowedHosts;
  timeoutMs: number;
  /** The first retry's delay; each next one doubles, up to MAX_RETRY_DELAY_MS. */
  retryDelayMs: number;
  pollMs?: number;
  onError(error: unknown): void;
}

const MAX_IN_FLIGHT = 16;
const PER_HOST = 2;
const MAX_RETRY_DELAY_MS = 3600_000;
export const RETRY_WINDOW_MS = 24 * 3600_000;
/** A claim outlives its attempt (bounded by the timeout) by this much before another may take the row. */
const LEASE_MARGIN_MS = 10_000;
const PRUNE_EVERY_MS = 600_000;
const PRUNE_BATCH = 1000;

/** When a delivery that failed `attempts` times is tried next, or undefined once its day is over. */
export function nextAttemptAt(
  row: Pick<WebhookDeliveryRow, 'created_at' | 'attempts'>,
  now: number,
  retryDelayMs: number,
  jitter = Math.random(),
): number | undefined {
  const deadline = row.created_at + RETRY_WINDOW_MS;
  if (now >= deadline) return undefined;
  const delay = Math.min(retryDelayMs * 2 ** Math.max(0, row.attempts - 1), MAX_RETRY_DELAY_MS);
  // ±10 %: receivers that came back are not hit by every queued retry at the same instant.
  return Math.min(now + Math.round(delay * (0.9 + 0.2 * jitter)), deadline);
}

/** The LiveKit webhook signature plugNmeet sends: a JWT of the API key whose `sha256` is the body's hash. */
async function signature(apiKey: string, apiSecret: string, body: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}

/** POSTs the body; resolves with the status once the response starts (its body is not read). */
function post(url: URL, body: string, headers: Record<string, string>, agents: TargetAgents, signal: AbortSignal) {
  return new Promise<number>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        agent: agents.agentFor(url),
        signal,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface DeliveryWorker {
  /** Looks for due deliveries now instead of at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

export function startWebhookDelivery(db: Kysely<Database>, options: DeliveryOptions): DeliveryWorker {
  const agents = targetAgents(options.allowedHosts);
  const perHost = new Map<string, number>();
  const sending = new Set<Promise<void>>();
  const stopping = new AbortController();
  let lastPrune = 0;

  async function attempt(row: WebhookDeliveryRow, claim: string): Promise<void> {
    const at = Date.now();
    let status: number | null = null;
    let error: string;
    let timeout: AbortSignal | undefined;
    try {
      const settings = await repo.findSettings(db, row.account_id);
      const client = await signingApiClient(db, row.account_id, settings?.signing_api_key ?? null);
      if (!client) throw new Error('the account has no active API key to sign with');
      const jwt = await signature(client.apiKey, client.apiSecret, row.body);
      timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = AbortSignal.any([timeout, stopping.signal]);
      status = await post(new URL(row.url), row.body, { authorization: jwt, 'hash-token': jwt }, agents, signal);
      if (status >= 200 && status < 300)
        return await repo.recordAttempt(db, row.id, claim, { state: 'delivered', status, at: Date.now() });
      error = `HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`;
    } catch (e) {
      if (isRefusedAddress(e)) {
        // Not a passing fault: the URL names an address deliveries may not reach.
        const message = `${(e as Error).message} (see RECAP_WEBHOOK_ALLOWED_HOSTS)`;
        return repo.recordAttempt(db, row.id, claim, {
          state: 'failed',
          status,
          error: message,
          at,
          nextAttemptAt: at,
        });
      }
      if (stopping.signal.aborted) {
        // Shutting down: give the row back, due now, for the next instance or start.
        const back = { state: 'pending', status, error: 'interrupted by shutdown', at, nextAttemptAt: at } as const;
        return repo.recordAttempt(db, row.id, claim, back);
      }
      error = timeout?.aborted ? `timed out after ${options.timeoutMs} ms` : e instanceof Error ? e.message : String(e);
    }
    const next = nextAttemptAt(row, Date.now(), options.retryDelayMs);
    await repo.recordAttempt(db, row.id, claim, {
      state: next === undefined ? 'failed' : 'pending',
      status,
      error,
      at,
      nextAttemptAt: next ?? at,
    });
  }

  function start(row: WebhookDeliveryRow, claim: string): void {
    perHost.set(row.host, (perHost.get(row.host) ?? 0) + 1);
    const running: Promise<void> = attempt(row, claim)
      .catch(options.onError)
      .finally(() => {
        const left = (perHost.get(row.host) ?? 1) - 1;
        if (left === 0) perHost.delete(row.host);
        else perHost.set(row.host, left);
        sending.delete(running);
        if (!stopping.signal.aborted) worker.wake();
      });
    sending.add(running);
  }

  /** Claims one row at a time while there is room: a batch could hold more rows of a host than it may take. */
  async function fill(): Promise<void> {
    while (!stopping.signal.aborted && sending.size < MAX_IN_FLIGHT) {
      const now = Date.now();
      const busyHosts = [...perHost].filter(([, n]) => n >= PER_HOST).map(([host]) => host);
      const id = await repo.firstDue(db, { now, busyHosts });
      if (id === undefined) break;
      const claim = randomUUID();
      const row = await repo.claimDelivery(db, {
        id,
        now,
        leaseUntil: now + options.timeoutMs + LEASE_MARGIN_MS,
        claim,
      });
      // Taken by another instance in between: look again.
      if (row) start(row, claim);
    }
    if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = Date.now();
      const before = lastPrune - DELIVERY_LOG_DAYS * 86_400_000;
      while ((await repo.deleteOldDeliveries(db, before, PRUNE_BATCH)) === PRUNE_BATCH);
    }
  }

  const poller = startPeriodic(fill, options.pollMs ?? 1000, options.onError);
  const worker: DeliveryWorker = {
    wake: () => poller.trigger(),
    async stop() {
      stopping.abort();
      await poller.stop();
      await Promise.allSettled([...sending]);
      agents.destroy();
    },
  };
  return worker;
}
