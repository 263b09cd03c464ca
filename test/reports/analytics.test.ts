import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { createAccount, createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer, type Session } from '../helpers/server.js';

const post = async (url: string, session: Session, path: string, body: unknown) => {
  const answer = await call(url, 'POST', path, { headers: bearer(session), body });
  assert.equal(answer.status, 201, `${path}: ${JSON.stringify(answer.body)}`);
  return answer.body;
};

/** A small hand-built data set around the Europe/Berlin and America/New_York DST changes of 2026. */
async function handBuilt(t: Parameters<typeof startTestServer>[0], engine: Parameters<typeof startTestServer>[1]) {
  const server = await startTestServer(t, engine);
  const db = server.database.db;
  const make = async (accountId: number, username: string, roles: ('manager' | 'analyst' | 'reporter')[]) => {
    const user = await createUser(db, {
      accountId,
      username,
      password: `${username}-password`,
      firstName: `${username}-first`,
      lastName: `${username}-last`,
      roles,
    });
    return { id: user.id, session: await loginAs(server.url, username, `${username}-password`) };
  };
  const manager = await make(1, 'manager1', ['manager']);
  const analyst = await make(1, 'analyst1', ['analyst']);
  const r1 = await make(1, 'reporter1', ['reporter']);
  const r2 = await make(1, 'reporter2', ['reporter']);
  const other = await createAccount(db, 'Other');
  const otherAnalyst = await make(other.id, 'analyst2', ['analyst']);
  const m = manager.session;
  const channel = await post(server.url, m, '/api/v4/channels', { name: 'Field' });
  const s1 = await post(server.url, m, '/api/v4/states', { name: 'Open' });
  const s2 = await post(server.url, m, '/api/v4/states', { name: 'Resolved' });
  const form = await post(server.url, m, '/api/v4/forms', {
    channel_id: channel.id,
    name: 'Incident',
    fields: [
      {
        name: 'Severity',
        field_type: 'Radio',
        options: [
          { name: 'Low', value: 'low' },
          { name: 'High', value: 'high' },
        ],
      },
      { name: 'Notes', field_type: 'Text' },
    ],
  });
  const [severity, notes] = form.fields;
  const report = (user: { id: number }, at: string, state: { id: number } | undefined, level?: string) =>
    post(server.url, m, '/api/v4/reports', {
      channel_id: channel.id,
      form_id: form.id,
      user_id: user.id,
      created_at: at,
      ...(state ? { state_id: state.id } : {}),
      ...(level ? { values: { [severity.id]: level } } : {}),
    });
  const reports = [
    await report(r1, '2026-03-28T00:00:00Z', s1, 'low'), // exactly at start_date: in
    await report(r1, '2026-03-28T22:30:00Z', s1, 'low'),
    await report(r1, '2026-03-29T00:30:00Z', s2, 'high'), // Berlin 01:30 CET, Sunday
    await report(r2, '2026-03-29T01:30:00Z', s2, 'high'), // Berlin 03:30 CEST (clocks went forward at 01:00Z)
    await report(r2, '2026-03-29T21:59:00Z', undefined), // Berlin 23:59 Sunday
    await report(r1, '2026-03-30T10:07:00Z', s1, 'high'), // Monday; in a partial bucket for short windows
    await report(r2, '2026-03-31T00:00:00Z', s1, 'high'), // exactly at end_date: out
    // New York, 2026-03-08 (23-hour day): 01:30 EST, 03:30 EDT, 23:00 EDT.
    await report(r1, '2026-03-08T06:30:00Z', undefined),
    await report(r1, '2026-03-08T07:30:00Z', undefined),
    await report(r2, '2026-03-09T03:00:00Z', undefined),
    // Kathmandu (+05:45): 23:59 and 00:00 local.
    await report(r1, '2026-04-01T18:14:00Z', undefined),
    await report(r1, '2026-04-01T18:15:00Z', undefined),
  ];
  // Reads and alerts in the March 28–31 window (and one of each outside it).
  await post(server.url, m, `/api/v4/reports/${reports[0].id}/reads`, {
    user_id: r2.id,
    read_at: '2026-03-28T05:00:00Z',
  });
  await post(server.url, m, `/api/v4/reports/${reports[0].id}/reads`, {
    user_id: r2.id,
    read_at: '2026-03-28T06:00:00Z',
  });
  await post(server.url, m, `/api/v4/reports/${reports[1].id}/reads`, {
    user_id: r2.id,
    read_at: '2026-03-29T08:00:00Z',
  });
  await post(server.url, m, `/api/v4/reports/${reports[2].id}/reads`, {
    user_id: r1.id,
    read_at: '2026-03-29T09:00:00Z',
  });
  await post(server.url, m, `/api/v4/reports/${reports[2].id}/reads`, {
    user_id: r1.id,
    read_at: '2026-04-05T09:00:00Z',
  });
  const a1 = await post(server.url, m, '/api/v4/alerts', {
    report_id: reports[0].id,
    user_ids: [r1.id, r2.id],
    sent_at: '2026-03-28T10:00:00Z',
  });
  await post(server.url, m, `/api/v4/alerts/${a1.id}/deliveries`, {
    user_ids: [r2.id],
    sent_at: '2026-03-29T10:00:00Z',
  });
  const a2 = await post(server.url, m, '/api/v4/alerts', {
    report_id: reports[2].id,
    user_ids: [r2.id],
    sent_at: '2026-03-30T10:00:00Z',
  });
  await post(server.url, m, `/api/v4/alerts/${a2.id}/deliveries`, {
    user_ids: [r1.id],
    sent_at: '2026-04-02T10:00:00Z',
  });
  await post(server.url, m, `/api/v4/alerts/${a1.id}/open`, { user_id: r2.id, opened_at: '2026-03-29T11:00:00Z' });
  return { server, analyst, otherAnalyst, r1, r2, channel, s1, s2, severity, notes, reports, manager };
}

for (const engine of ENGINES) {
  describe(`reports v4 analytics [${engine}]`, () => {
    test('every endpoint answers the exact JSON on a hand-built data set (windows, DST days, +05:45, Monday weeks, Sunday = 0, fields)', async (t) => {
      const d = await handBuilt(t, engine);
      const get = async (name: string, params: Record<string, string | number>) => {
        const search = new URLSearchParams(
          Object.entries({ channel_id: d.channel.id, ...params }).map(([k, v]): [string, string] => [k, String(v)]),
        );
        return call(d.server.url, 'GET', `/api/v4/analytics/${name}?${search}`, { headers: bearer(d.analyst.session) });
      };
      const march = { start_date: '2026-03-28T00:00:00Z', end_date: '2026-03-31T00:00:00Z' };
      const ok = async (name: string, params: Record<string, string | number>) => {
        const answer = await get(name, params);
        assert.equal(answer.status, 200, `${name} ${JSON.stringify(params)}: ${JSON.stringify(answer.body)}`);
        return answer.body;
      };

      assert.deepEqual(await ok('reports_per_day_hour', { ...march, time_zone: 'Europe/Berlin' }), [
        { account_id: 1, hour: 1, report_count: 2 },
        { account_id: 1, hour: 3, report_count: 1 },
        { account_id: 1, hour: 12, report_count: 1 },
        { account_id: 1, hour: 23, report_count: 2 },
      ]);
      assert.deepEqual(await ok('reports_per_day_hour', march), [
        { account_id: 1, hour: 0, report_count: 2 },
        { account_id: 1, hour: 1, report_count: 1 },
        { account_id: 1, hour: 10, report_count: 1 },
        { account_id: 1, hour: 21, report_count: 1 },
        { account_id: 1, hour: 22, report_count: 1 },
      ]);
      // Saturday 28th ×2, Sunday 29th ×3 (a 23-hour day in Berlin), Monday 30th ×1.
      assert.deepEqual(await ok('reports_per_week_day', { ...march, time_zone: 'Europe/Berlin' }), [
        { account_id: 1, dow: 0, report_count: 3 },
        { account_id: 1, dow: 1, report_count: 1 },
        { account_id: 1, dow: 6, report_count: 2 },
      ]);
      assert.deepEqual(await ok('reports_over_time', { ...march, time_zone: 'Europe/Berlin' }), [
        {
          account_id: 1,
          datetime_range_start: '2026-03-27T23:00:00.000Z',
          report_count: 2,
          datetime_range_width: 'day',
        },
        {
          account_id: 1,
          datetime_range_start: '2026-03-28T23:00:00.000Z',
          report_count: 3,
          datetime_range_width: 'day',
        },
        {
          account_id: 1,
          datetime_range_start: '2026-03-29T22:00:00.000Z',
          report_count: 1,
          datetime_range_width: 'day',
        },
      ]);
      // New York's 23-hour day, 2026-03-08: local midnight is 05:00Z.
      assert.deepEqual(
        await ok('reports_over_time', {
          start_date: '2026-03-07T00:00:00-05:00',
          end_date: '2026-03-10T00:00:00-04:00',
          time_zone: 'America/New_York',
        }),
        [
          {
            account_id: 1,
            datetime_range_start: '2026-03-08T05:00:00.000Z',
            report_count: 3,
            datetime_range_width: 'day',
          },
        ],
      );
      // Hour buckets across the change: 01:00 EST starts at 06:00Z, 03:00 EDT at 07:00Z.
      assert.deepEqual(
        await ok('reports_over_time', {
          start_date: '2026-03-08T00:00:00-05:00',
          end_date: '2026-03-09T00:00:00-04:00',
          time_zone: 'America/New_York',
        }),
        [
          {
            account_id: 1,
            datetime_range_start: '2026-03-08T06:00:00.000Z',
            report_count: 1,
            datetime_range_width: 'hour',
          },
          {
            account_id: 1,
            datetime_range_start: '2026-03-08T07:00:00.000Z',
            report_count: 1,
            datetime_range_width: 'hour',
          },
          {
            account_id: 1,
            datetime_range_start: '2026-03-09T03:00:00.000Z',
            report_count: 1,
            datetime_range_width: 'hour',
          },
        ],
      );
      // Kathmandu, +05:45: 23:59 on the 1st and 00:00 on the 2nd.
      const kathmandu = {
        start_date: '2026-04-01T00:00:00Z',
        end_date: '2026-04-03T00:00:00Z',
        time_zone: 'Asia/Kathmandu',
      };
      assert.deepEqual(await ok('reports_per_day_hour', kathmandu), [
        { account_id: 1, hour: 0, report_count: 1 },
        { account_id: 1, hour: 23, report_count: 1 },
      ]);
      assert.deepEqual(await ok('reports_over_time', { ...kathmandu, interval: 'day' }), [
        {
          account_id: 1,
          datetime_range_start: '2026-03-31T18:15:00.000Z',
          report_count: 1,
          datetime_range_width: 'day',
        },
        {
          account_id: 1,
          datetime_range_start: '2026-04-01T18:15:00.000Z',
          report_count: 1,
          datetime_range_width: 'day',
        },
      ]);
      // Weeks start on Monday: Sunday the 29th belongs to the week of Monday the 23rd.
      assert.deepEqual(
        await ok('reports_over_time', {
          start_date: '2026-03-01T00:00:00Z',
          end_date: '2026-05-01T00:00:00Z',
          interval: 'week',
        }),
        [
          {
            account_id: 1,
            datetime_range_start: '2026-03-02T00:00:00.000Z',
            report_count: 2,
            datetime_range_width: 'week',
          },
          {
            account_id: 1,
            datetime_range_start: '2026-03-09T00:00:00.000Z',
            report_count: 1,
            datetime_range_width: 'week',
          },
          {
            account_id: 1,
            datetime_range_start: '2026-03-23T00:00:00.000Z',
            report_count: 5,
            datetime_range_width: 'week',
          },
          {
            account_id: 1,
            datetime_range_start: '2026-03-30T00:00:00.000Z',
            report_count: 4,
            datetime_range_width: 'week',
          },
        ],
      );

      assert.deepEqual(await ok('reports_per_state', march), [
        { id: d.s1.id, name: 'Open', account_id: 1, report_count: 3 },
        { id: d.s2.id, name: 'Resolved', account_id: 1, report_count: 2 },
      ]);
      assert.deepEqual(await ok('reports_per_user', march), [
        { user_id: d.r1.id, account_id: 1, report_count: 4 },
        { user_id: d.r2.id, account_id: 1, report_count: 2 },
      ]);
      assert.deepEqual(await ok('reports_per_field_selection', { ...march, field_id: d.severity.id }), [
        { field_id: d.severity.id, account_id: 1, name: 'High', value: 'high', report_count: 3 },
        { field_id: d.severity.id, account_id: 1, name: 'Low', value: 'low', report_count: 2 },
      ]);
      // A window inside one 15-minute bucket: only raw rows.
      assert.deepEqual(
        await ok('reports_per_user', { start_date: '2026-03-30T10:05:00Z', end_date: '2026-03-30T10:10:00Z' }),
        [{ user_id: d.r1.id, account_id: 1, report_count: 1 }],
      );
      // A state change moves the count.
      await call(d.server.url, 'PATCH', `/api/v4/reports/${d.reports[4].id}`, {
        headers: bearer(d.manager.session),
        body: { state_id: d.s2.id },
      });
      await call(d.server.url, 'PATCH', `/api/v4/reports/${d.reports[0].id}`, {
        headers: bearer(d.manager.session),
        body: { state_id: d.s2.id },
      });
      assert.deepEqual(
        (await ok('reports_per_state', march)).map((r: { name: string; report_count: number }) => [
          r.name,
          r.report_count,
        ]),
        [
          ['Resolved', 4],
          ['Open', 2],
        ],
      );

      assert.deepEqual(await ok('reports_read', march), { total_reads: 4 });
      assert.deepEqual(
        await ok('reports_read', { ...march, fields: 'total_reads,unique_reads,report_readers,reports_seen' }),
        { total_reads: 4, unique_reads: 3, report_readers: 2, reports_seen: 3 },
      );
      assert.deepEqual(await ok('reports_read', { ...march, fields: 'reports_seen' }), { reports_seen: 3 });
      assert.deepEqual(await ok('user_awareness', march), [
        { total_alerts: 1, user_id: d.r1.id, first_name: 'reporter1-first', last_name: 'reporter1-last' },
        { total_alerts: 3, user_id: d.r2.id, first_name: 'reporter2-first', last_name: 'reporter2-last' },
      ]);
      assert.deepEqual(
        await ok('user_awareness', {
          ...march,
          fields: 'total_alerts,alert_source_reports,unique_alerts,alerts_opened',
        }),
        [
          {
            total_alerts: 1,
            unique_alerts: 1,
            alert_source_reports: 1,
            alerts_opened: 0,
            user_id: d.r1.id,
            first_name: 'reporter1-first',
            last_name: 'reporter1-last',
          },
          {
            total_alerts: 3,
            unique_alerts: 2,
            alert_source_reports: 2,
            alerts_opened: 1,
            user_id: d.r2.id,
            first_name: 'reporter2-first',
            last_name: 'reporter2-last',
          },
        ],
      );

      // Errors.
      const bad = async (name: string, params: Record<string, string | number>, status: number, field: RegExp) => {
        const answer = await get(name, params);
        assert.equal(answer.status, status, `${name} ${JSON.stringify(params)}`);
        assert.match(answer.body.error, field);
      };
      await bad('reports_read', { ...march, fields: 'total_reads,bogus' }, 400, /fields/);
      await bad('user_awareness', { ...march, fields: 'bogus' }, 400, /fields/);
      await bad('reports_per_field_selection', { ...march, field_id: d.notes.id }, 422, /Text/);
      await bad('reports_per_state', { ...march, start_date: '2026-03-28' }, 400, /start_date/);
      await bad('reports_per_state', { ...march, end_date: '2026-03-27T00:00:00Z' }, 400, /start_date/);
      await bad(
        'reports_per_state',
        { start_date: '2010-01-01T00:00:00Z', end_date: '2026-01-01T00:00:00Z' },
        400,
        /10 years/,
      );
      await bad('reports_per_state', { ...march, time_zone: 'Mars/Olympus' }, 400, /time_zone/);
      await bad('reports_over_time', { ...march, interval: 'fortnight' }, 400, /interval/);
      assert.equal(
        (
          await call(
            d.server.url,
            'GET',
            `/api/v4/analytics/reports_per_state?start_date=${march.start_date}&end_date=${march.end_date}`,
            { headers: bearer(d.analyst.session) },
          )
        ).status,
        400,
      );
    });

    test('answers follow every write: a report, a state change, a read, an image', async (t) => {
      const d = await handBuilt(t, engine);
      const q = `channel_id=${d.channel.id}&start_date=2026-03-28T00:00:00Z&end_date=2026-03-31T00:00:00Z`;
      const ask = async (endpoint: string, extra = '') =>
        (
          await call(d.server.url, 'GET', `/api/v4/analytics/${endpoint}?${q}${extra}`, {
            headers: bearer(d.analyst.session),
          })
        ).body;
      const states = async () =>
        Object.fromEntries(
          (await ask('reports_per_state')).map((r: { name: string; report_count: number }) => [r.name, r.report_count]),
        );
      assert.deepEqual(await states(), { Open: 3, Resolved: 2 });
      assert.deepEqual(await states(), { Open: 3, Resolved: 2 }); // asked again: on SQLite, from the read cache
      const added = await post(d.server.url, d.manager.session, '/api/v4/reports', {
        channel_id: d.channel.id,
        user_id: d.r2.id,
        created_at: '2026-03-30T12:00:00Z',
        state_id: d.s2.id,
      });
      assert.deepEqual(await states(), { Open: 3, Resolved: 3 });
      const patched = await call(d.server.url, 'PATCH', `/api/v4/reports/${d.reports[0].id}`, {
        headers: bearer(d.manager.session),
        body: { state_id: d.s2.id },
      });
      assert.equal(patched.status, 200);
      assert.deepEqual(await states(), { Open: 2, Resolved: 4 });

      assert.deepEqual(await ask('reports_read', '&fields=total_reads,reports_seen'), {
        total_reads: 4,
        reports_seen: 3,
      });
      await post(d.server.url, d.manager.session, `/api/v4/reports/${added.id}/reads`, {
        user_id: d.r1.id,
        read_at: '2026-03-30T13:00:00Z',
      });
      assert.deepEqual(await ask('reports_read', '&fields=total_reads,reports_seen'), {
        total_reads: 5,
        reports_seen: 4,
      });

      assert.deepEqual(await ask('reports_images'), []);
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#08f' } })
        .png()
        .toBuffer();
      const image = await fetch(`${d.server.url}/api/v4/reports/${added.id}/images`, {
        method: 'POST',
        headers: { ...bearer(d.manager.session), 'content-type': 'image/png' },
        body: png,
      });
      assert.equal(image.status, 201);
      assert.deepEqual(
        (await ask('reports_images')).map((i: { report_id: number }) => i.report_id),
        [added.id],
      );
    });

    test('isolation and roles: another account’s channel and field are 404; a reporter gets 403', async (t) => {
      const d = await handBuilt(t, engine);
      const q = `start_date=2026-03-28T00:00:00Z&end_date=2026-03-31T00:00:00Z`;
      const other = await call(
        d.server.url,
        'GET',
        `/api/v4/analytics/reports_per_state?channel_id=${d.channel.id}&${q}`,
        { headers: bearer(d.otherAnalyst.session) },
      );
      assert.deepEqual([other.status, other.body], [404, { error: 'channel not found', code: 'not_found' }]);
      const missing = await call(d.server.url, 'GET', `/api/v4/analytics/reports_per_state?channel_id=999999&${q}`, {
        headers: bearer(d.otherAnalyst.session),
      });
      assert.deepEqual(missing.body, other.body);
      const otherChannel = (
        await call(d.server.url, 'POST', '/api/v4/channels', {
          headers: bearer(d.manager.session),
          body: { name: 'Second' },
        })
      ).body;
      assert.equal(
        (
          await call(
            d.server.url,
            'GET',
            `/api/v4/analytics/reports_per_field_selection?channel_id=${otherChannel.id}&field_id=${d.severity.id}&${q}`,
            { headers: bearer(d.analyst.session) },
          )
        ).status,
        404,
      );
      assert.equal(
        (
          await call(d.server.url, 'GET', `/api/v4/analytics/reports_per_state?channel_id=${d.channel.id}&${q}`, {
            headers: bearer(d.r1.session),
          })
        ).status,
        403,
      );
      assert.equal(
        (await call(d.server.url, 'GET', `/api/v4/analytics/reports_per_state?channel_id=${d.channel.id}&${q}`)).status,
        401,
      );
    });

    test('an admin reading another account’s channel sees that account’s names change (the answer is kept under the channel’s account)', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      const other = await createAccount(db, 'Other');
      await createUser(db, { accountId: other.id, username: 'boss2', password: 'boss2-password', roles: ['manager'] });
      const recipient = await createUser(db, {
        accountId: other.id,
        username: 'field2',
        firstName: 'Ann',
        roles: ['reporter'],
      });
      const boss = await loginAs(server.url, 'boss2', 'boss2-password');
      const channel = await post(server.url, boss, '/api/v4/channels', { name: 'Theirs' });
      const report = await post(server.url, boss, '/api/v4/reports', { channel_id: channel.id });
      await post(server.url, boss, '/api/v4/alerts', { report_id: report.id, user_ids: [recipient.id] });
      const admin = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      const window = `channel_id=${channel.id}&start_date=2020-01-01T00:00:00Z&end_date=2029-01-01T00:00:00Z`;
      const firstName = async () => {
        const answer = await call(server.url, 'GET', `/api/v4/analytics/user_awareness?${window}`, { headers: admin });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return answer.body[0]?.first_name;
      };
      assert.equal(await firstName(), 'Ann');
      // No API renames a user yet; the table's trigger bumps the account's scope all the same.
      await db.updateTable('users').set({ first_name: 'Anna' }).where('id', '=', recipient.id).execute();
      assert.equal(await firstName(), 'Anna');
    });
  });
}
