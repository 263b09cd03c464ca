// The live bench's background writer: streams the traffic of a live installation at fixed rates
// until SIGTERM, then prints what it sent as JSON on stdout. Run in its own process on the load's
// core (the job file named by argv[2]), so the server's core serves reads and writes alike.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { hmacSha256Hex } from '../../src/auth/crypto.js';
import { LIVE_RATES, type LiveJob } from './live.js';

interface Stream {
  sent: number;
  errors: number;
  /** Ticks skipped because the previous request of the stream had not been answered. */
  behind: number;
}

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as LiveJob;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const user = { authorization: `Bearer ${job.adminToken}`, 'content-type': 'application/json' };

function send(method: string, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(new URL(path, job.url), { method, headers, agent }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Calls `next` `perSecond` times a second, one request in flight at a time. */
function stream(perSecond: number, next: (i: number) => [string, string, Record<string, string>, string]): Stream {
  const s: Stream = { sent: 0, errors: 0, behind: 0 };
  let busy = false;
  let i = 0;
  const timer = setInterval(async () => {
    if (busy) return void s.behind++;
    busy = true;
    const [method, path, headers, body] = next(i++);
    const status = await send(method, path, headers, body);
    s.sent++;
    if (status < 200 || status >= 300) s.errors++;
    busy = false;
  }, 1000 / perSecond);
  timers.push(timer);
  return s;
}

const timers: NodeJS.Timeout[] = [];
const run = `${Date.now().toString(36)}-${process.pid}`;
const kinds = ['mic_status', 'public_chat', 'talked_duration', 'webcam_status', 'raise_hand'] as const;

const streams = {
  events: stream(LIVE_RATES.eventBatches, (batch) => {
    // Four rooms of this run, fresh event ids: every event is stored.
    const room = { room_id: `live-room-${batch % 4}`, room_sid: `RM_live_${run}_${batch % 4}` };
    const events = Array.from({ length: LIVE_RATES.eventsPerBatch }, (_, i) => {
      const event = kinds[i % kinds.length]!;
      const name = `user${(i % 25) + 2}`;
      return {
        id: `${run}-${batch}-${i}`,
        event,
        ...room,
        time: job.now + batch * 250 + i,
        user_id: name,
        name,
        ...(event === 'talked_duration' ? { value: 1500 } : event === 'public_chat' ? {} : { value: 'on' }),
      };
    });
    const raw = JSON.stringify({ events });
    const headers = {
      'content-type': 'application/json',
      'api-key': job.apiKey,
      'hash-signature': hmacSha256Hex(job.apiSecret, raw),
    };
    return ['POST', '/auth/room/events', headers, raw];
  }),
  reports: stream(LIVE_RATES.reports, (i) => {
    const channel = i % 2 === 0 ? job.hotChannel : job.otherChannels[i % job.otherChannels.length]!;
    const createdAt = new Date(job.now - 1 - ((i * 7919) % 86_400_000)).toISOString();
    return ['POST', '/api/v4/reports', user, JSON.stringify({ channel_id: channel, created_at: createdAt })];
  }),
  readsAndOpens: stream(LIVE_RATES.readsAndOpens, (i) => {
    const at = new Date(job.now - 1 - ((i * 104_729) % 86_400_000)).toISOString();
    if (i % 2 === 0 || job.alertIds.length === 0) {
      const report = job.reportIds[i % job.reportIds.length]!;
      return ['POST', `/api/v4/reports/${report}/reads`, user, JSON.stringify({ read_at: at })];
    }
    const alert = job.alertIds[i % job.alertIds.length]!;
    return ['POST', `/api/v4/alerts/${alert}/open`, user, JSON.stringify({ opened_at: at })];
  }),
};

process.on('SIGTERM', () => {
  for (const timer of timers) clearInterval(timer);
  process.stdout.write(JSON.stringify(streams));
  agent.destroy();
  process.exit(0);
});
