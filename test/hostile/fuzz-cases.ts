import { createHmac } from 'node:crypto';
import { Rand } from '../../src/shared/random.js';
import { createSigner } from 'fast-jwt';

/**
 * Seeded hostile requests, per API family: valid requests with one part made hostile (a value, a
 * key, the JSON text, the content type, the size, an id, a token, a Mongo operator), so that
 * most of them get past authentication and reach validation and the services. Used by the fuzz
 * test (a few thousand per family) and by `npm run fuzz -- --requests N` for long runs.
 */

export type FuzzFamily = 'plugnmeet' | 'rocketchat' | 'reports';
export const FUZZ_FAMILIES: FuzzFamily[] = ['plugnmeet', 'rocketchat', 'reports'];

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Real objects of the fuzzed server, so that templates are valid before they are mutated. */
export interface FuzzTargets {
  apiKey: string;
  apiSecret: string;
  userId: string;
  authToken: string;
  channelId: number;
  formId: number;
  fieldIds: number[];
  optionValue: string;
  stateId: number;
  reportId: number;
  alertId: number;
  recordId: string;
  analyticsFileId: string;
  downloadToken: string;
  analyticsToken: string;
  uploadToken: string;
}

export { Rand };

const LONG = 'x'.repeat(70_000);
/** Values that break naive code: wrong types, edges of number ranges, text that is not what it seems. */
export const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  -0.5,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  2 ** 63,
  1e21,
  '',
  ' ',
  LONG,
  '\u0000',
  'a\u0000b',
  '\ud800',
  '😀'.repeat(50),
  '../../etc/passwd',
  '..',
  '/etc/passwd',
  '%2e%2e%2fx',
  'C:\\x',
  {},
  [],
  [[[[]]]],
  { $gt: '' },
  { $where: 'sleep(1)' },
  '{"$ne":1}',
  'constructor',
  '__proto__',
  'toString',
  '1e400',
  '-0',
  '0x10',
  '2026-13-45T99:99:99Z',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-03-29T02:30:00+25:00',
  'NaN',
  'Infinity',
  '=HYPERLINK("http://x")',
  '<script>alert(1)</script>',
  "'; drop table reports; --",
  ['a', 1, null],
  { a: { b: { c: {} } } },
];
const HOSTILE_TEXTS = [
  '0',
  '-1',
  '99999999999999999999',
  'abc',
  '%00',
  '..%2f..%2f',
  '1e3',
  '1.5',
  '',
  '%ff',
  '\u00e9',
  ' 1',
  '0x1',
  'null',
  '[]',
];
const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/xml',
  'image/png',
  '',
];
const OPERATORS = [
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$and',
  '$or',
  '$nor',
  '$not',
  '$elemMatch',
  '$size',
  '$regex',
  '$where',
  '$function',
  '$accumulator',
  '$expr',
  '$jsonSchema',
  '$type',
  '$mod',
  '$all',
  '$text',
  '$comment',
];
const FIELDS = [
  'createdAt',
  '_id',
  'totalUsers',
  'os.cpus',
  'process.pid',
  'version',
  'a',
  '$a',
  'a.$b',
  '__proto__',
  'constructor.prototype',
  '',
];

function mutateValue(rand: Rand, value: unknown, depth = 0): unknown {
  if (depth < 2 && value && typeof value === 'object' && rand.chance(0.4)) {
    if (Array.isArray(value)) {
      if (value.length === 0) return [rand.pick(HOSTILE_VALUES)];
      const copy = [...value];
      copy[rand.int(copy.length)] = mutateValue(rand, copy[rand.int(copy.length)], depth + 1);
      return copy;
    }
    return mutateObject(rand, value as Record<string, unknown>, depth + 1);
  }
  return rand.pick(HOSTILE_VALUES);
}

function mutateObject(rand: Rand, template: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...template };
  const keys = Object.keys(copy);
  const move = rand.int(4);
  if (move === 0 && keys.length > 0) delete copy[rand.pick(keys)];
  else if (move === 1)
    copy[rand.pick(['extra', 'roomIds', 'room_ids', 'account_id', 'user_id', '$where', ''])] =
      rand.pick(HOSTILE_VALUES);
  else if (keys.length > 0) {
    const key = rand.pick(keys);
    copy[key] = mutateValue(rand, copy[key], depth);
  }
  return copy;
}

/** A JSON body made hostile as text: keys JSON.stringify cannot write, truncation, nesting, size. */
function hostileBodyText(rand: Rand, template: Record<string, unknown>): { text: string; contentType?: string } {
  const move = rand.int(12);
  const json = JSON.stringify(template);
  switch (move) {
    case 0:
      return { text: json.slice(0, rand.int(json.length)) };
    case 1:
      return { text: `{"__proto__":{"polluted":1},${json.slice(1)}` };
    case 2:
      return { text: `{"constructor":{"prototype":{"polluted":1}},${json.slice(1)}` };
    case 3:
      return { text: '['.repeat(5000) + ']'.repeat(5000) };
    case 4:
      return { text: '{"a":'.repeat(3000) + '1' + '}'.repeat(3000) };
    case 5:
      return { text: JSON.stringify(rand.pick([[template], 'text', 42, null, true])) };
    case 6:
      return { text: json, contentType: rand.pick(CONTENT_TYPES) };
    case 7:
      return {
        text: rand.chance(0.3)
          ? `{"pad":"${'y'.repeat(1_100_000)}"}`
          : JSON.stringify({ ...template, pad: 'y'.repeat(200_000) }),
      };
    case 8:
      return { text: json.replace(/"([^"]*)"/, '"$1\\u0000\\ud800"') };
    case 9:
      return { text: `${json}${json}` };
    default:
      return { text: JSON.stringify(mutateObject(rand, template)) };
  }
}

function randomFilter(rand: Rand, depth = 0): unknown {
  if (depth > 3 || rand.chance(0.3))
    return rand.pick(HOSTILE_VALUES.filter((v) => typeof v !== 'string' || v.length < 100));
  if (rand.chance(0.5)) {
    const op = rand.pick(OPERATORS);
    return {
      [op]: rand.chance(0.5)
        ? [randomFilter(rand, depth + 1), randomFilter(rand, depth + 1)]
        : randomFilter(rand, depth + 1),
    };
  }
  return { [rand.pick(FIELDS)]: randomFilter(rand, depth + 1) };
}

const sign = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');
const json = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

function forgedToken(rand: Rand, t: FuzzTargets, real: string): string {
  const now = Math.floor(Date.now() / 1000);
  switch (rand.int(7)) {
    case 0: // plugNmeet's form: the API secret, a path as the subject
      return createSigner({ key: t.apiSecret })({
        iss: t.apiKey,
        sub: rand.pick(['recordings/1/r/x.mp4', '../recap.db', 'analytics/1/a.json']),
        nbf: now,
        exp: now + 60,
      });
    case 1: // alg none
      return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: t.apiKey, kind: 'recording', acc: 1, obj: 1, exp: now + 60 })).toString('base64url')}.`;
    case 2:
      return real.slice(0, rand.int(real.length));
    case 3:
      return `${real}${rand.pick(['x', '.', '%00', '/..'])}`;
    case 4:
      return rand.pick(HOSTILE_TEXTS) || 'x';
    case 5:
      // Lone surrogates cannot be percent-encoded: drop them (URLSearchParams does the same).
      return encodeURIComponent(String(rand.pick(HOSTILE_VALUES)).replace(/[\ud800-\udfff]/g, '')) || 'y';
    default:
      return real;
  }
}

interface Template {
  method: string;
  path: string;
  body?: Record<string, unknown>;
  query?: Record<string, string>;
}

function plugnmeetTemplates(t: FuzzTargets): Template[] {
  const post = (path: string, body: Record<string, unknown>): Template => ({ method: 'POST', path, body });
  return [
    post('/auth/recording/fetch', { room_ids: ['room-a'], from: 0, limit: 20, order_by: 'DESC' }),
    post('/auth/recording/fetch', { room_sid: 'sid-a', room_ids: ['room-a'] }),
    post('/auth/recording/info', { record_id: t.recordId }),
    post('/auth/recording/updateMetadata', {
      record_id: t.recordId,
      metadata: {
        title: 't',
        description: 'd',
        subtitles: { en: { label: 'English', url: 'https://x/en.vtt' } },
        extra_data: { a: '1' },
      },
    }),
    post('/auth/recording/getDownloadToken', { record_id: t.recordId }),
    post('/auth/recording/add', {
      room_id: 'room-a',
      room_sid: 'sid-a',
      file_path: 'room-a/a.mp4',
      record_id: 'fuzz-add',
    }),
    post('/auth/recording/getUploadToken', {
      room_id: 'room-a',
      room_sid: 'sid-a',
      file_name: 'x.webm',
      record_id: 'fuzz-up',
    }),
    post('/auth/recording/delete', { record_id: 'fuzz-nothing' }),
    post('/auth/room/events', {
      events: [
        {
          id: 'e1',
          event: 'participant_joined',
          room_id: 'room-f',
          room_sid: 'sid-f',
          time: 1_760_000_000_000,
          user_id: 'u1',
          name: 'Ann',
          value: 'x',
        },
      ],
    }),
    post('/auth/analytics/fetch', { room_ids: ['room-a'], from: 0, limit: 10 }),
    post('/auth/analytics/getDownloadToken', { file_id: t.analyticsFileId }),
    post('/auth/analytics/delete', { file_id: 'fuzz-nothing' }),
    post('/auth/room/fetchPastRooms', { room_ids: ['room-a'], from: 0, limit: 20, order_by: 'DESC' }),
    post('/auth/artifact/fetch', {
      room_ids: ['room-a'],
      room_sid: 'sid-a',
      type: 'MEETING_ANALYTICS',
      from: 0,
      limit: 10,
    }),
    post('/auth/artifact/info', { artifact_id: t.analyticsFileId }),
    post('/auth/artifact/getDownloadToken', { artifact_id: t.analyticsFileId }),
    post('/auth/artifact/delete', { artifact_id: 'fuzz-nothing' }),
  ];
}

function plugnmeetRequest(rand: Rand, t: FuzzTargets): FuzzRequest {
  const move = rand.int(10);
  if (move === 0)
    return {
      method: rand.pick(['GET', 'HEAD']),
      path: `/download/recording/${forgedToken(rand, t, rand.pick([t.downloadToken, t.analyticsToken]))}`,
      headers: rand.chance(0.3)
        ? {
            range: rand.pick([
              'bytes=0-0',
              'bytes=-5',
              'bytes=9-1',
              'bytes=99999999999999999999-',
              'items=1-2',
              'bytes=0-1,2-3,4-5',
            ]),
          }
        : {},
    };
  if (move === 1)
    return {
      method: 'GET',
      path: `/download/${rand.pick(['analytics', 'artifact'])}/${forgedToken(rand, t, rand.pick([t.analyticsToken, t.downloadToken]))}`,
      headers: {},
    };
  if (move === 2) {
    const body = rand.chance(0.2) ? Buffer.alloc(0) : Buffer.from(String(rand.pick(HOSTILE_VALUES)));
    return {
      method: 'PUT',
      path: `/upload/recording/${forgedToken(rand, t, t.uploadToken)}`,
      headers: { 'content-type': rand.pick(['video/webm', 'application/json', 'text/plain']) },
      body,
    };
  }
  if (move === 3) {
    const body = json(
      rand.chance(0.5) ? { event: 'room_started', room: { sid: 'RM_x', name: 'r' } } : rand.pick(HOSTILE_VALUES),
    );
    return {
      method: 'POST',
      path: '/webhooks/livekit',
      headers: {
        'content-type': rand.pick(['application/webhook+json', 'application/json']),
        authorization: forgedToken(rand, t, 'x.y.z'),
      },
      body,
    };
  }
  const template = rand.pick(plugnmeetTemplates(t));
  const { text, contentType } = hostileBodyText(rand, template.body!);
  const body = Buffer.from(text);
  const headers: Record<string, string> = {
    'content-type': contentType ?? 'application/json',
    'api-key': t.apiKey,
    'hash-signature': sign(t.apiSecret, body),
  };
  if (rand.chance(0.05)) headers['api-key'] = String(rand.pick(HOSTILE_TEXTS));
  if (rand.chance(0.05)) headers['hash-signature'] = sign('wrong', body);
  return { method: template.method, path: template.path, headers, body };
}

function rocketchatRequest(rand: Rand, t: FuzzTargets): FuzzRequest {
  const auth = { 'x-user-id': t.userId, 'x-auth-token': t.authToken };
  const move = rand.int(6);
  if (move === 0) {
    const { text, contentType } = hostileBodyText(rand, { user: 'nobody', password: 'wrong-password' });
    return {
      method: 'POST',
      path: '/api/v1/login',
      headers: { 'content-type': contentType ?? 'application/json' },
      body: Buffer.from(text),
    };
  }
  if (move === 1)
    return {
      method: rand.pick(['GET', 'POST']),
      path: rand.pick(['/api/v1/me', '/api/v1/statistics', '/api/v1/statistics?refresh=maybe']),
      headers: rand.chance(0.5) ? auth : { 'x-user-id': String(rand.pick(HOSTILE_TEXTS)), 'x-auth-token': 'x' },
    };
  const params = new URLSearchParams();
  const choice = rand.int(5);
  if (choice === 0) params.set('offset', rand.pick(HOSTILE_TEXTS));
  if (choice === 1) params.set('count', rand.pick(HOSTILE_TEXTS));
  if (choice === 2)
    params.set(
      'sort',
      rand.chance(0.5)
        ? JSON.stringify({ [rand.pick(FIELDS)]: rand.pick([1, -1, 0, 'asc', null]) })
        : rand.pick(HOSTILE_TEXTS),
    );
  if (choice === 3)
    params.set(
      'fields',
      rand.chance(0.5) ? JSON.stringify({ [rand.pick(FIELDS)]: rand.pick([1, 0, 2, true]) }) : rand.pick(HOSTILE_TEXTS),
    );
  if (choice === 4 || rand.chance(0.3))
    params.set('query', rand.chance(0.9) ? JSON.stringify(randomFilter(rand)) : rand.pick(HOSTILE_TEXTS));
  return { method: 'GET', path: `/api/v1/statistics.list?${params}`, headers: auth };
}

function reportsTemplates(t: FuzzTargets): Template[] {
  const window = {
    channel_id: String(t.channelId),
    start_date: '2026-01-01T00:00:00Z',
    end_date: '2026-02-01T00:00:00Z',
  };
  const post = (path: string, body: Record<string, unknown>): Template => ({ method: 'POST', path, body });
  return [
    post('/api/v4/channels', { name: 'fuzz channel' }),
    post('/api/v4/states', { name: 'fuzz state' }),
    post('/api/v4/forms', {
      channel_id: t.channelId,
      name: 'f',
      fields: [
        { name: 'c', field_type: 'Radio', options: [{ name: 'a' }] },
        { name: 'n', field_type: 'Number' },
      ],
    }),
    post('/api/v4/reports', {
      channel_id: t.channelId,
      form_id: t.formId,
      state_id: t.stateId,
      created_at: '2026-01-05T10:00:00Z',
      values: { [String(t.fieldIds[0])]: t.optionValue, [String(t.fieldIds[1])]: 5 },
    }),
    { method: 'PATCH', path: `/api/v4/reports/${t.reportId}`, body: { state_id: t.stateId } },
    post(`/api/v4/reports/${t.reportId}/reads`, { read_at: '2026-01-05T11:00:00Z' }),
    post('/api/v4/alerts', { report_id: t.reportId, user_ids: [1] }),
    post(`/api/v4/alerts/${t.alertId}/deliveries`, { user_ids: [1] }),
    post(`/api/v4/alerts/${t.alertId}/open`, { opened_at: '2026-01-05T12:00:00Z' }),
    post('/api/v4/users', {
      username: 'fuzz-user',
      password: 'fuzz-password',
      first_name: 'F',
      last_name: 'Z',
      roles: ['reporter'],
    }),
    post('/api/v4/accounts', { name: 'fuzz account' }),
    ...[
      'reports_over_time',
      'reports_per_state',
      'reports_per_user',
      'reports_per_day_hour',
      'reports_per_week_day',
      'reports_images',
    ].map((name) => ({
      method: 'GET',
      path: `/api/v4/analytics/${name}`,
      query: { ...window, time_zone: 'Asia/Kathmandu' },
    })),
    {
      method: 'GET',
      path: '/api/v4/analytics/reports_per_field_selection',
      query: { ...window, field_id: String(t.fieldIds[0]) },
    },
    { method: 'GET', path: '/api/v4/analytics/reports_read', query: { ...window, fields: 'total_reads,unique_reads' } },
    { method: 'GET', path: '/api/v4/analytics/user_awareness', query: { ...window, fields: 'total_alerts' } },
    { method: 'GET', path: '/api/v4/forms', query: { channel_id: String(t.channelId) } },
    { method: 'GET', path: '/api/v4/users/1' },
    // An address the guard refuses before any lookup: the fuzz run sends nothing anywhere.
    { method: 'PUT', path: '/api/v4/webhooks', body: { url: 'http://10.0.0.1/hook', signing_api_key: null } },
    { method: 'GET', path: '/api/v4/webhooks/deliveries', query: { limit: '5', event: 'report_created' } },
  ];
}

function reportsRequest(rand: Rand, t: FuzzTargets): FuzzRequest {
  const headers: Record<string, string> = rand.chance(0.95)
    ? { authorization: `Bearer ${t.authToken}` }
    : { authorization: String(rand.pick(HOSTILE_TEXTS)) };
  const move = rand.int(10);
  if (move === 0) {
    const lines = [
      JSON.stringify({ type: 'report', channel_id: t.channelId, created_at: '2026-01-06T10:00:00Z' }),
      JSON.stringify(mutateObject(rand, { type: 'report', channel_id: t.channelId })),
      String(rand.pick(HOSTILE_VALUES)),
    ];
    const body = rand.chance(0.1)
      ? `${'{"type":"nope"}\n'.repeat(100_000)}`
      : rand.chance(0.1)
        ? 'z'.repeat(2_000_000)
        : lines.slice(0, 1 + rand.int(3)).join(rand.pick(['\n', '\r\n', '\0']));
    return {
      method: 'POST',
      path: '/api/v4/import',
      headers: { ...headers, 'content-type': rand.pick(['application/x-ndjson', 'application/json', 'text/plain']) },
      body: Buffer.from(body),
    };
  }
  if (move === 1)
    return {
      method: 'POST',
      path: `/api/v4/reports/${rand.chance(0.5) ? t.reportId : rand.pick(HOSTILE_TEXTS)}/images`,
      headers: { ...headers, 'content-type': rand.pick(['image/png', 'image/svg+xml', 'application/octet-stream']) },
      body: Buffer.from(
        rand.chance(0.5)
          ? '<svg xmlns="http://www.w3.org/2000/svg"/>'
          : '\x89PNG\r\n\x1a\n' + 'x'.repeat(rand.int(1000)),
      ),
    };
  if (move === 2)
    return {
      method: 'GET',
      path: `/api/v4/report-images/${rand.pick(HOSTILE_TEXTS)}/${rand.pick(['thumb.jpg', 'original.jpg', '..%2f..%2frecap.db'])}?expires=${rand.pick(HOSTILE_TEXTS)}&signature=${rand.pick(HOSTILE_TEXTS)}`,
      headers: {},
    };
  const template = rand.pick(reportsTemplates(t));
  let path = template.path.replace(/\/(\d+)(\/|$)/, (whole, _id, end) =>
    rand.chance(0.3) ? `/${encodeURIComponent(rand.pick(HOSTILE_TEXTS))}${end}` : whole,
  );
  if (template.query) {
    const query = new URLSearchParams(template.query);
    const keys = [...query.keys(), 'interval', 'from', 'limit', 'time_zone', 'fields'];
    const key = rand.pick(keys);
    const move = rand.int(5);
    if (move === 0) query.append(key, rand.pick(HOSTILE_TEXTS));
    else if (move === 1) query.delete(key);
    else
      query.set(
        key,
        rand.pick([
          ...HOSTILE_TEXTS,
          'Mars/Olympus',
          '+05:45',
          'week',
          'century',
          '2026-02-01T00:00:00Z',
          '1000-01-01T00:00:00Z',
          'total_reads,nope',
        ]),
      );
    path = `${path}?${query}`;
  }
  if (!template.body) return { method: template.method, path, headers };
  const { text, contentType } = hostileBodyText(rand, template.body);
  return {
    method: template.method,
    path,
    headers: { ...headers, 'content-type': contentType ?? 'application/json' },
    body: Buffer.from(text),
  };
}

export function fuzzRequest(family: FuzzFamily, rand: Rand, targets: FuzzTargets): FuzzRequest {
  if (family === 'plugnmeet') return plugnmeetRequest(rand, targets);
  if (family === 'rocketchat') return rocketchatRequest(rand, targets);
  return reportsRequest(rand, targets);
}
