import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { createUser } from '../../src/auth/service.js';
import { rebuildReportCounts } from '../../src/reports/counts/rebuild-report-counts.js';
import { ENGINES } from '../helpers/engines.js';
import { bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/** A small deterministic generator (mulberry32), so a failure replays. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Pacific/Chatham',
  'Asia/Tokyo',
];
const DAY = 86_400_000;
const YEAR_START = Date.UTC(2025, 0, 1);
const YEAR_MS = 2 * 365 * DAY;

/** Local calendar parts of an instant, by Intl, one call per report: the brute-force reference. */
function localParts(zone: string) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    weekday: 'short',
  });
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return (ms: number) => {
    const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
    return {
      year: Number(p.year),
      month: Number(p.month),
      day: Number(p.day),
      hour: Number(p.hour),
      dow: days.indexOf(p.weekday!),
    };
  };
}

for (const engine of ENGINES) {
  describe(`reports v4 analytics: pre-aggregates against brute force [${engine}]`, () => {
    test(
      '100,000 generated reports, random time zones and windows: every count equals the count over raw rows',
      { timeout: 300_000 },
      async (t) => {
        const server = await startTestServer(t, engine);
        const db = server.database.db;
        const random = rng(20261123);
        const manager = await createUser(db, {
          accountId: 1,
          username: 'manager1',
          password: 'manager1-password',
          firstName: 'M',
          lastName: 'One',
          roles: ['manager'],
        });
        const session = await loginAs(server.url, 'manager1', 'manager1-password');
        const post = async (path: string, body: unknown) =>
          (await call(server.url, 'POST', path, { headers: bearer(session), body })).body;
        const channel = await post('/api/v4/channels', { name: 'Generated' });
        const states = [
          await post('/api/v4/states', { name: 'A' }),
          await post('/api/v4/states', { name: 'B' }),
          await post('/api/v4/states', { name: 'C' }),
        ];
        const form = await post('/api/v4/forms', {
          channel_id: channel.id,
          name: 'F',
          fields: [
            {
              name: 'Pick',
              field_type: 'DropDown',
              options: [
                { name: 'x', value: 'x' },
                { name: 'y', value: 'y' },
                { name: 'z', value: 'z' },
              ],
            },
          ],
        });
        const field = form.fields[0];
        const userIds = [manager.id];
        for (let i = 0; i < 4; i++)
          userIds.push(
            (
              await createUser(db, {
                accountId: 1,
                username: `u${i}`,
                firstName: 'U',
                lastName: String(i),
                roles: ['reporter'],
              })
            ).id,
          );

        // Bulk rows (then counts rebuilt), plus some through the API (counts kept incrementally) and state changes.
        type Row = { id: number; created_at: number; state_id: number | null; user_id: number; option: number | null };
        const rows: Row[] = [];
        const batch: {
          account_id: number;
          channel_id: number;
          form_id: number;
          user_id: number;
          state_id: number | null;
          created_at: number;
          option_ids: string | null;
        }[] = [];
        const maxId = Number(
          (
            await db
              .selectFrom('reports')
              .select((eb) => eb.fn.max('id').as('m'))
              .executeTakeFirst()
          )?.m ?? 0,
        );
        for (let i = 0; i < 100_000; i++) {
          const created = YEAR_START + Math.floor(random() * YEAR_MS);
          const state = random() < 0.2 ? null : states[Math.floor(random() * 3)].id;
          const user = userIds[Math.floor(random() * userIds.length)]!;
          const option = random() < 0.3 ? null : field.options[Math.floor(random() * 3)].id;
          batch.push({
            account_id: 1,
            channel_id: channel.id,
            form_id: form.id,
            user_id: user,
            state_id: state,
            created_at: created,
            option_ids: option === null ? null : JSON.stringify([option]),
          });
          rows.push({ id: maxId + i + 1, created_at: created, state_id: state, user_id: user, option });
        }
        for (let i = 0; i < batch.length; i += 2000)
          await db
            .insertInto('reports')
            .values(batch.slice(i, i + 2000).map((r, j) => ({ id: maxId + i + j + 1, ...r })))
            .execute();
        // Explicit ids: move PostgreSQL's identity past them, or the API's inserts would collide.
        if (engine === 'postgres')
          await sql`select setval(pg_get_serial_sequence('reports', 'id'), ${maxId + batch.length})`.execute(db);
        await rebuildReportCounts(db);
        for (let i = 0; i < 150; i++) {
          const created = YEAR_START + Math.floor(random() * YEAR_MS);
          const option = field.options[Math.floor(random() * 3)];
          const report = await post('/api/v4/reports', {
            channel_id: channel.id,
            form_id: form.id,
            created_at: new Date(created).toISOString(),
            state_id: states[0].id,
            values: { [field.id]: option.value },
          });
          rows.push({
            id: report.id,
            created_at: created,
            state_id: states[0].id,
            user_id: manager.id,
            option: option.id,
          });
        }
        for (const row of rows.slice(-60)) {
          const next = random() < 0.5 ? null : states[2].id;
          await call(server.url, 'PATCH', `/api/v4/reports/${row.id}`, {
            headers: bearer(session),
            body: { state_id: next },
          });
          row.state_id = next;
        }

        const get = async (name: string, params: Record<string, string | number>) => {
          const search = new URLSearchParams(
            Object.entries({ channel_id: channel.id, ...params }).map(([k, v]): [string, string] => [k, String(v)]),
          );
          const answer = await call(server.url, 'GET', `/api/v4/analytics/${name}?${search}`, {
            headers: bearer(session),
          });
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          return answer.body;
        };
        const sortedCounts = (m: Map<number, number>) =>
          [...m].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        // Windows of any length and alignment, some shorter than a bucket, some over a year; then
        // long windows in zones with whole-hour offsets and summer time (local days from day maps).
        const lengths = [7 * 60_000, 5 * 3_600_000, 3 * DAY, 40 * DAY, 400 * DAY];
        const rounds: [string, number][] = [
          ...Array.from({ length: 12 }, (_, round) => [ZONES[round % ZONES.length]!, lengths[round % lengths.length]!]),
          ['Europe/Berlin', 400 * DAY],
          ['America/New_York', 400 * DAY],
          ['Europe/Berlin', 40 * DAY],
        ] as [string, number][];
        for (const [zone, typicalLength] of rounds) {
          const length = Math.floor(typicalLength * (0.5 + random()));
          const start = YEAR_START + Math.floor(random() * (YEAR_MS - length));
          const end = start + length;
          const params = {
            start_date: new Date(start).toISOString(),
            end_date: new Date(end).toISOString(),
            time_zone: zone,
          };
          const inWindow = rows.filter((r) => r.created_at >= start && r.created_at < end);
          const parts = localParts(zone);
          const byHour = new Map<number, number>();
          const byDow = new Map<number, number>();
          const byState = new Map<number, number>();
          const byUser = new Map<number, number>();
          const byOption = new Map<number, number>();
          const byMonth = new Map<string, number>();
          const byWeek = new Map<number, number>(); // local date of the week's Monday, in days since 1970
          const byDay = new Map<number, number>(); // local date, in days since 1970
          for (const r of inWindow) {
            const p = parts(r.created_at);
            const localDay = Date.UTC(p.year, p.month - 1, p.day) / DAY;
            const monday = localDay - ((p.dow + 6) % 7);
            byWeek.set(monday, (byWeek.get(monday) ?? 0) + 1);
            byDay.set(localDay, (byDay.get(localDay) ?? 0) + 1);
            byHour.set(p.hour, (byHour.get(p.hour) ?? 0) + 1);
            byDow.set(p.dow, (byDow.get(p.dow) ?? 0) + 1);
            const month = `${p.year}-${p.month}`;
            byMonth.set(month, (byMonth.get(month) ?? 0) + 1);
            if (r.state_id !== null) byState.set(r.state_id, (byState.get(r.state_id) ?? 0) + 1);
            byUser.set(r.user_id, (byUser.get(r.user_id) ?? 0) + 1);
            if (r.option !== null) byOption.set(r.option, (byOption.get(r.option) ?? 0) + 1);
          }
          const label = `${zone} ${params.start_date} … ${params.end_date}`;
          assert.deepEqual(
            (await get('reports_per_day_hour', params)).map((x: { hour: number; report_count: number }) => [
              x.hour,
              x.report_count,
            ]),
            [...byHour].sort((a, b) => a[0] - b[0]),
            label,
          );
          assert.deepEqual(
            (await get('reports_per_week_day', params)).map((x: { dow: number; report_count: number }) => [
              x.dow,
              x.report_count,
            ]),
            [...byDow].sort((a, b) => a[0] - b[0]),
            label,
          );
          assert.deepEqual(
            (await get('reports_per_state', params)).map((x: { id: number; report_count: number }) => [
              x.id,
              x.report_count,
            ]),
            sortedCounts(byState),
            label,
          );
          assert.deepEqual(
            (await get('reports_per_user', params)).map((x: { user_id: number; report_count: number }) => [
              x.user_id,
              x.report_count,
            ]),
            sortedCounts(byUser),
            label,
          );
          const options = await get('reports_per_field_selection', { ...params, field_id: field.id });
          assert.deepEqual(
            options.map((x: { value: string; report_count: number }) => [x.value, x.report_count]).sort(),
            [...byOption].map(([id, n]) => [field.options.find((o: { id: number }) => o.id === id).value, n]).sort(),
            label,
          );
          const months = await get('reports_over_time', { ...params, interval: 'month' });
          assert.equal(
            months.reduce((s: number, x: { report_count: number }) => s + x.report_count, 0),
            inWindow.length,
            label,
          );
          assert.deepEqual(
            months.map((x: { datetime_range_start: string; report_count: number }) => {
              const p = parts(Date.parse(x.datetime_range_start));
              assert.deepEqual([p.day, p.hour], [1, 0], `${label}: month bucket starts at local midnight on the 1st`);
              return [`${p.year}-${p.month}`, x.report_count];
            }),
            [...byMonth].sort((a, b) => {
              const [ya, ma] = a[0].split('-').map(Number);
              const [yb, mb] = b[0].split('-').map(Number);
              return ya! - yb! || ma! - mb!;
            }),
            label,
          );
          const weeks = await get('reports_over_time', { ...params, interval: 'week' });
          assert.deepEqual(
            weeks.map((x: { datetime_range_start: string; report_count: number }) => {
              const p = parts(Date.parse(x.datetime_range_start));
              assert.deepEqual([p.dow, p.hour], [1, 0], `${label}: week bucket starts at local midnight on a Monday`);
              return [Date.UTC(p.year, p.month - 1, p.day) / DAY, x.report_count];
            }),
            [...byWeek].sort((a, b) => a[0] - b[0]),
            label,
          );
          const days = await get('reports_over_time', { ...params, interval: 'day' });
          assert.deepEqual(
            days.map((x: { datetime_range_start: string; report_count: number }) => {
              const p = parts(Date.parse(x.datetime_range_start));
              assert.equal(p.hour, 0, `${label}: day bucket starts at local midnight`);
              return [Date.UTC(p.year, p.month - 1, p.day) / DAY, x.report_count];
            }),
            [...byDay].sort((a, b) => a[0] - b[0]),
            label,
          );
        }
      },
    );
  });
}
