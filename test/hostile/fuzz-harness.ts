import { Agent, request as httpRequest } from 'node:http';
import { downloadAnalytics, scriptedSession, sendEvents } from '../sessions/fixtures.js';
import { placeFile, signedPost } from '../recordings/fixtures.js';
import { ADMIN, API_KEY, bearer, call, loginAs } from '../helpers/server.js';
import { fuzzRequest, Rand, type FuzzFamily, type FuzzRequest, type FuzzTargets } from './fuzz-cases.js';

/** Real objects for the templates to point at: a channel with a form, a report, an alert, a recording, an analytics file. */
export async function prepareTargets(baseUrl: string, dataDir: string): Promise<FuzzTargets> {
  const admin = await loginAs(baseUrl, ADMIN.username, ADMIN.password);
  const post = async (path: string, body: unknown) =>
    (await call(baseUrl, 'POST', path, { headers: bearer(admin), body })).body;
  const channel = await post('/api/v4/channels', { name: 'Fuzzed' });
  const state = await post('/api/v4/states', { name: 'Open' });
  const form = await post('/api/v4/forms', {
    channel_id: channel.id,
    name: 'Form',
    fields: [
      { name: 'kind', field_type: 'Radio', options: [{ name: 'a' }, { name: 'b' }] },
      { name: 'count', field_type: 'Number' },
    ],
  });
  const report = await post('/api/v4/reports', {
    channel_id: channel.id,
    form_id: form.id,
    state_id: state.id,
    created_at: '2026-01-05T10:00:00Z',
  });
  const alert = await post('/api/v4/alerts', { report_id: report.id, user_ids: [Number(admin.userId)] });
  placeFile(dataDir, 'room-a/a.mp4', Buffer.alloc(100, 1));
  await signedPost(baseUrl, '/auth/recording/add', {
    room_id: 'room-a',
    room_sid: 'sid-a',
    file_path: 'room-a/a.mp4',
    record_id: 'rec-a',
  });
  await sendEvents(baseUrl, scriptedSession());
  let analyticsFileId = '';
  for (let i = 0; i < 50 && !analyticsFileId; i++) {
    const listed = await signedPost(baseUrl, '/auth/analytics/fetch', { room_ids: [scriptedSession()[0]!.room_id] });
    analyticsFileId = listed.body.result?.analytics_list?.[0]?.file_id ?? '';
    if (!analyticsFileId) await new Promise((r) => setTimeout(r, 100));
  }
  await downloadAnalytics(baseUrl, analyticsFileId);
  const token = async (path: string, body: unknown) => (await signedPost(baseUrl, path, body)).body.token as string;
  return {
    apiKey: API_KEY.key,
    apiSecret: API_KEY.secret,
    userId: admin.userId,
    authToken: admin.authToken,
    channelId: channel.id,
    formId: form.id,
    fieldIds: form.fields.map((f: { id: number }) => f.id),
    optionValue: form.fields[0].options[0].value,
    stateId: state.id,
    reportId: report.id,
    alertId: alert.id,
    recordId: 'rec-a',
    analyticsFileId,
    downloadToken: await token('/auth/recording/getDownloadToken', { record_id: 'rec-a' }),
    analyticsToken: await token('/auth/analytics/getDownloadToken', { file_id: analyticsFileId }),
    uploadToken: await token('/auth/recording/getUploadToken', {
      room_id: 'room-u',
      room_sid: 'sid-u',
      file_name: 'u.webm',
      record_id: 'rec-u',
    }),
  };
}

/** Sends one request over a keep-alive agent; resolves with the status, or 'hang' after `timeoutMs`. */
export function send(
  baseUrl: string,
  agent: Agent,
  r: FuzzRequest,
  timeoutMs = 15_000,
): Promise<number | 'hang' | 'reset'> {
  return new Promise((resolve) => {
    const url = new URL(r.path, baseUrl);
    const req = httpRequest(
      url,
      {
        method: r.method,
        headers: { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) },
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0));
        res.on('error', () => finish('reset'));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish('hang');
    }, timeoutMs);
    let done = false;
    const finish = (result: number | 'hang' | 'reset') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
    };
    // A server that answers before reading an oversized body may close while we still write.
    req.on('error', () => finish('reset'));
    req.end(r.body);
  });
}

export interface FuzzFigures {
  family: FuzzFamily;
  requests: number;
  statuses: Record<string, number>;
  serverErrors: { request: FuzzRequest; status: number | string }[];
}

/** Sends `count` seeded hostile requests of a family, `concurrency` at a time. */
export async function fuzzFamily(
  baseUrl: string,
  family: FuzzFamily,
  targets: FuzzTargets,
  options: { seed: number; count: number; concurrency?: number },
): Promise<FuzzFigures> {
  const rand = new Rand(options.seed);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 4 });
  const figures: FuzzFigures = { family, requests: 0, statuses: {}, serverErrors: [] };
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      next++;
      const r = fuzzRequest(family, rand, targets);
      const status = await send(baseUrl, agent, r);
      figures.requests++;
      figures.statuses[String(status)] = (figures.statuses[String(status)] ?? 0) + 1;
      // A reset is only acceptable as the end of an oversized request the server stopped reading:
      // a body past the JSON limit, or headers past Node's 16 KiB.
      const oversized =
        (r.body?.length ?? 0) >= 1024 * 1024 || r.path.length + JSON.stringify(r.headers).length > 16 * 1024;
      const bad =
        status === 'hang' || (typeof status === 'number' && status >= 500) || (status === 'reset' && !oversized);
      if (bad)
        figures.serverErrors.push({
          request: { ...r, body: r.body && r.body.length > 300 ? r.body.subarray(0, 300) : r.body },
          status,
        });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  agent.destroy();
  return figures;
}
