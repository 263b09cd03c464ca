import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { pinned } from './server.js';

/** The live bench: a background writer (bench/lib/live-writer.ts) beside each measured load. */

export interface LiveJob {
  url: string;
  apiKey: string;
  apiSecret: string;
  adminToken: string;
  /** The measured channel, and others of the same account: reports go to both, half each. */
  hotChannel: number;
  otherChannels: number[];
  /** Reports and alerts to read and open (recent ones of the hot channel). */
  reportIds: number[];
  alertIds: number[];
  /** The data set's "now": reports are dated in its last day, inside every measured window. */
  now: number;
}

/** Per second: room-event batches (of 500), reports, and reads plus alert opens (half each). */
export const LIVE_RATES = { eventBatches: 4, eventsPerBatch: 500, reports: 20, readsAndOpens: 20 } as const;

export const LIVE_HEADER = `live: a writer on the load's core sends room events in batches of ${LIVE_RATES.eventsPerBatch} at ${LIVE_RATES.eventBatches}/s, reports at ${LIVE_RATES.reports}/s (half into the measured hot channel, half into others), reads and alert opens at ${LIVE_RATES.readsAndOpens}/s`;

export interface LiveStream {
  sent: number;
  errors: number;
  behind: number;
}
export type LiveSummary = Record<'events' | 'reports' | 'readsAndOpens', LiveStream>;

/** What the writer writes to: the hot channel's account, its recent reports and alerts. */
export async function liveTargets(db: Kysely<Database>, hotChannel: number): Promise<Omit<LiveJob, 'url' | 'now'>> {
  const channel = await db
    .selectFrom('channels')
    .select('account_id')
    .where('id', '=', hotChannel)
    .executeTakeFirstOrThrow();
  const others = await db
    .selectFrom('channels')
    .select('id')
    .where('account_id', '=', channel.account_id)
    .where('id', '<>', hotChannel)
    .orderBy('id')
    .limit(5)
    .execute();
  const reports = await db
    .selectFrom('reports')
    .select('id')
    .where('channel_id', '=', hotChannel)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
  const alerts = await db
    .selectFrom('alerts')
    .select('id')
    .where('channel_id', '=', hotChannel)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  return {
    apiKey: '',
    apiSecret: '',
    adminToken: '',
    hotChannel,
    otherChannels: others.length > 0 ? others.map((c) => c.id) : [hotChannel],
    reportIds: reports.map((r) => r.id),
    alertIds: alerts.map((a) => a.id),
  };
}

let writers = 0;

/** Starts the writer against `job.url`; `stop()` ends it and answers what it sent. */
export function startLiveWriter(job: LiveJob): { stop(): Promise<LiveSummary> } {
  // A file per writer: one per server, all started at once (npm run bench -- --engine both).
  const jobFile = resolve(`bench/.data/live-job-${++writers}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const [command, argv] = pinned(1, process.execPath, ['--import', 'tsx', 'bench/lib/live-writer.ts', jobFile]);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(jobFile, { force: true });
      return JSON.parse(out) as LiveSummary;
    },
  };
}

/** `sent/errors` per stream, compactly, with what fell behind its rate. */
export const describeLive = (live: LiveSummary): string =>
  Object.entries(live)
    .map(
      ([name, s]) =>
        `${name} ${s.sent}${s.errors > 0 ? ` (${s.errors} errors)` : ''}${s.behind > 0 ? ` (${s.behind} behind)` : ''}`,
    )
    .join(', ');
