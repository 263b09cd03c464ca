import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAccount, createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer, type Session } from '../helpers/server.js';

async function people(server: Awaited<ReturnType<typeof startTestServer>>) {
  const db = server.database.db;
  const other = await createAccount(db, 'Other org');
  const make = async (accountId: number, username: string, roles: ('manager' | 'analyst' | 'reporter')[]) => {
    const user = await createUser(db, {
      accountId,
      username,
      password: `${username}-password`,
      firstName: username,
      lastName: 'Test',
      roles,
    });
    return { id: user.id, session: await loginAs(server.url, username, `${username}-password`) };
  };
  return {
    admin: await loginAs(server.url, ADMIN.username, ADMIN.password),
    manager: await make(1, 'manager1', ['manager']),
    reporter: await make(1, 'reporter1', ['reporter']),
    reporter2: await make(1, 'reporter2', ['reporter']),
    otherManager: await make(other.id, 'manager2', ['manager']),
    otherAnalyst: await make(other.id, 'analyst2', ['analyst']),
    otherAccount: other.id,
  };
}

const post = (url: string, session: Session, path: string, body: unknown) =>
  call(url, 'POST', path, { headers: bearer(session), body });

for (const engine of ENGINES) {
  describe(`reports v4 data in [${engine}]`, () => {
    test('channels, states, forms with generated option values, reports with values, state changes, reads, alerts, deliveries, opens', async (t) => {
      const server = await startTestServer(t, engine);
      const p = await people(server);
      const m = p.manager.session;
      const channel = await post(server.url, m, '/api/v4/channels', { name: 'Field team' });
      assert.equal(channel.status, 201);
      assert.deepEqual(
        { ...channel.body, created_at: undefined },
        { id: channel.body.id, account_id: 1, name: 'Field team', created_at: undefined },
      );
      assert.match(channel.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const state = (await post(server.url, m, '/api/v4/states', { name: 'Resolved' })).body;

      const form = await post(server.url, m, '/api/v4/forms', {
        channel_id: channel.body.id,
        name: 'Incident',
        fields: [
          { name: 'Severity', field_type: 'Radio', options: [{ name: 'Low' }, { name: 'High', value: 'high' }] },
          {
            name: 'Tags',
            field_type: 'Checkbox',
            options: [
              { name: 'Water', value: 'water' },
              { name: 'Power', value: 'power' },
            ],
          },
          { name: 'Notes', field_type: 'Text' },
          { name: 'People', field_type: 'Number' },
          { name: 'Seen', field_type: 'Date' },
        ],
      });
      assert.equal(form.status, 201);
      const [severity, tags, notes, peopleField, seen] = form.body.fields;
      const formId = form.body.id;
      assert.deepEqual(
        severity.options.map((o: { name: string; value: string }) => [o.name, o.value]),
        [
          ['Low', `f_1_${channel.body.id}_${formId}_${severity.id}_1`],
          ['High', 'high'],
        ],
      );
      assert.deepEqual(
        (
          await call(server.url, 'GET', `/api/v4/forms?channel_id=${channel.body.id}`, {
            headers: bearer(p.reporter.session),
          })
        ).body,
        [form.body],
      );

      const values = {
        [severity.id]: 'high',
        [tags.id]: ['water', 'power'],
        [notes.id]: 'Pipe burst',
        [peopleField.id]: 3,
        [seen.id]: '2026-03-01T10:00:00Z',
      };
      const report = await post(server.url, p.reporter.session, '/api/v4/reports', {
        channel_id: channel.body.id,
        form_id: formId,
        created_at: '2026-03-01T12:30:00+01:00',
        values,
      });
      assert.equal(report.status, 201);
      assert.deepEqual(report.body, {
        id: report.body.id,
        account_id: 1,
        channel_id: channel.body.id,
        form_id: formId,
        user_id: p.reporter.id,
        state_id: null,
        created_at: '2026-03-01T11:30:00.000Z',
        values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v])),
      });
      const patched = await call(server.url, 'PATCH', `/api/v4/reports/${report.body.id}`, {
        headers: bearer(m),
        body: { state_id: state.id },
      });
      assert.equal(patched.body.state_id, state.id);

      const read = await post(server.url, p.reporter2.session, `/api/v4/reports/${report.body.id}/reads`, {
        read_at: '2026-03-02T08:00:00Z',
      });
      assert.deepEqual(read.body, {
        id: read.body.id,
        report_id: report.body.id,
        user_id: p.reporter2.id,
        read_at: '2026-03-02T08:00:00.000Z',
      });
      const alert = await post(server.url, m, '/api/v4/alerts', {
        report_id: report.body.id,
        user_ids: [p.reporter.id, p.reporter2.id],
        sent_at: '2026-03-01T13:00:00Z',
      });
      assert.deepEqual(alert.body, {
        id: alert.body.id,
        account_id: 1,
        report_id: report.body.id,
        created_at: '2026-03-01T13:00:00.000Z',
        deliveries: 2,
      });
      assert.equal(
        (await post(server.url, m, `/api/v4/alerts/${alert.body.id}/deliveries`, { user_ids: [p.reporter2.id] })).body
          .deliveries,
        1,
      );
      const opened = await post(server.url, p.reporter2.session, `/api/v4/alerts/${alert.body.id}/open`, {});
      assert.equal(opened.status, 201);
      assert.equal(opened.body.user_id, p.reporter2.id);
      const db = server.database.db;
      assert.equal((await db.selectFrom('alert_deliveries').selectAll().execute()).length, 3);
      // Choices are kept as option ids (what the counts use), the other values as given.
      const row = await db
        .selectFrom('reports')
        .select(['field_values', 'option_ids'])
        .where('id', '=', report.body.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        (JSON.parse(row.option_ids!) as number[]).sort((a, b) => a - b),
        [severity.options[1].id, tags.options[0].id, tags.options[1].id].sort((a, b) => a - b),
      );
      assert.deepEqual(JSON.parse(row.field_values!), {
        [notes.id]: 'Pipe burst',
        [peopleField.id]: 3,
        [seen.id]: '2026-03-01T10:00:00Z',
      });
    });

    test('bad input is a 400 naming the field, and nothing is stored', async (t) => {
      const server = await startTestServer(t, engine);
      const p = await people(server);
      const m = p.manager.session;
      const channel = (await post(server.url, m, '/api/v4/channels', { name: 'C' })).body;
      const form = (
        await post(server.url, m, '/api/v4/forms', {
          channel_id: channel.id,
          name: 'F',
          fields: [
            { name: 'Kind', field_type: 'DropDown', options: [{ name: 'A', value: 'a' }] },
            { name: 'Tags', field_type: 'Checkbox', options: [{ name: 'X', value: 'x' }] },
            { name: 'N', field_type: 'Number' },
            { name: 'D', field_type: 'Date' },
          ],
        })
      ).body;
      const [kind, tagsField, n, d] = form.fields.map((f: { id: number }) => f.id);
      const cases: [string, unknown, RegExp][] = [
        ['/api/v4/channels', { name: '' }, /name/],
        [
          '/api/v4/forms',
          { channel_id: channel.id, name: 'F2', fields: [{ name: 'R', field_type: 'Radio' }] },
          /fields\[0\]\.options/,
        ],
        [
          '/api/v4/forms',
          { channel_id: channel.id, name: 'F2', fields: [{ name: 'T', field_type: 'Text', options: [{ name: 'x' }] }] },
          /fields\[0\]\.options/,
        ],
        [
          '/api/v4/forms',
          {
            channel_id: channel.id,
            name: 'F2',
            fields: [
              {
                name: 'R',
                field_type: 'Radio',
                options: [
                  { name: 'a', value: 'v' },
                  { name: 'b', value: 'v' },
                ],
              },
            ],
          },
          /fields\[0\]\.options/,
        ],
        [
          '/api/v4/forms',
          { channel_id: channel.id, name: 'F2', fields: [{ name: 'R', field_type: 'Slider' }] },
          /field_type/,
        ],
        ['/api/v4/reports', { channel_id: channel.id, values: { [kind]: 'a' } }, /form_id/],
        ['/api/v4/reports', { channel_id: channel.id, form_id: form.id, values: { 999999: 'a' } }, /values\.999999/],
        [
          '/api/v4/reports',
          { channel_id: channel.id, form_id: form.id, values: { [kind]: 'zzz' } },
          new RegExp(`values\\.${kind}`),
        ],
        [
          '/api/v4/reports',
          { channel_id: channel.id, form_id: form.id, values: { [kind]: ['a'] } },
          new RegExp(`values\\.${kind}`),
        ],
        [
          '/api/v4/reports',
          { channel_id: channel.id, form_id: form.id, values: { [tagsField]: 'x' } },
          new RegExp(`values\\.${tagsField}`),
        ],
        [
          '/api/v4/reports',
          { channel_id: channel.id, form_id: form.id, values: { [n]: 'three' } },
          new RegExp(`values\\.${n}`),
        ],
        [
          '/api/v4/reports',
          { channel_id: channel.id, form_id: form.id, values: { [d]: 'yesterday' } },
          new RegExp(`values\\.${d}`),
        ],
        // One field under two spellings of its id (was stored twice: a key conflict, or an option counted twice).
        [
          '/api/v4/reports',
          { channel_id: channel.id, form_id: form.id, values: { [n]: 1, [`0${n}`]: 2 } },
          new RegExp(`values\\.0${n}`),
        ],
        [
          '/api/v4/reports',
          { channel_id: channel.id, form_id: form.id, values: { [kind]: 'a', [`${kind}.0`]: 'a' } },
          new RegExp(`values\\.${kind}\\.0`),
        ],
        ['/api/v4/reports', { channel_id: channel.id, created_at: '2026-03-01T12:30:00' }, /created_at/],
        ['/api/v4/reports', { channel_id: channel.id, state_id: 424242 }, /state_id/],
        ['/api/v4/reports', { channel_id: 'one' }, /channel_id/],
      ];
      for (const [path, body, field] of cases) {
        const answer = await post(server.url, m, path, body);
        assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.equal(answer.body.code, 'invalid_params');
        assert.match(answer.body.error, field, `${path} ${JSON.stringify(body)} → ${answer.body.error}`);
      }
      const report = (await post(server.url, m, '/api/v4/reports', { channel_id: channel.id })).body;
      const badAlert = await post(server.url, m, '/api/v4/alerts', {
        report_id: report.id,
        user_ids: [p.reporter.id, p.otherManager.id],
      });
      assert.equal(badAlert.status, 400);
      assert.match(badAlert.body.error, /user_ids/);
      const db = server.database.db;
      assert.equal((await db.selectFrom('reports').selectAll().execute()).length, 1);
      assert.equal((await db.selectFrom('alerts').selectAll().execute()).length, 0);
      assert.equal((await db.selectFrom('forms').selectAll().execute()).length, 1);
    });

    test('tenant isolation: another account gets 404 for channels, forms, reports and alerts; roles are enforced', async (t) => {
      const server = await startTestServer(t, engine);
      const p = await people(server);
      const m = p.manager.session;
      const channel = (await post(server.url, m, '/api/v4/channels', { name: 'Mine' })).body;
      const report = (await post(server.url, m, '/api/v4/reports', { channel_id: channel.id })).body;
      const alert = (await post(server.url, m, '/api/v4/alerts', { report_id: report.id, user_ids: [p.reporter.id] }))
        .body;
      const other = p.otherManager.session;
      const notFound = { error: 'channel not found', code: 'not_found' };
      assert.deepEqual(
        (await call(server.url, 'GET', `/api/v4/forms?channel_id=${channel.id}`, { headers: bearer(other) })).body,
        notFound,
      );
      assert.deepEqual(
        (await call(server.url, 'GET', `/api/v4/forms?channel_id=999999`, { headers: bearer(other) })).body,
        notFound,
      );
      assert.equal((await post(server.url, other, '/api/v4/reports', { channel_id: channel.id })).status, 404);
      assert.equal(
        (await post(server.url, other, '/api/v4/forms', { channel_id: channel.id, name: 'x', fields: [] })).status,
        404,
      );
      assert.equal(
        (
          await call(server.url, 'PATCH', `/api/v4/reports/${report.id}`, {
            headers: bearer(other),
            body: { state_id: null },
          })
        ).status,
        404,
      );
      assert.equal((await post(server.url, other, `/api/v4/reports/${report.id}/reads`, {})).status, 404);
      assert.equal(
        (await post(server.url, other, '/api/v4/alerts', { report_id: report.id, user_ids: [p.otherAnalyst.id] }))
          .status,
        404,
      );
      assert.equal(
        (await post(server.url, other, `/api/v4/alerts/${alert.id}/deliveries`, { user_ids: [p.otherAnalyst.id] }))
          .status,
        404,
      );
      assert.equal((await post(server.url, other, '/api/v4/states', { name: 'x', account_id: 1 })).status, 403);

      // Roles: a reporter posts and reads but manages nothing, and cannot post as someone else.
      const r = p.reporter.session;
      assert.equal((await post(server.url, r, '/api/v4/channels', { name: 'x' })).status, 403);
      assert.equal(
        (await post(server.url, r, '/api/v4/reports', { channel_id: channel.id, user_id: p.reporter2.id })).status,
        403,
      );
      assert.equal((await post(server.url, r, '/api/v4/reports', { channel_id: channel.id })).status, 201);
      assert.equal(
        (await post(server.url, p.otherAnalyst.session, '/api/v4/reports', { channel_id: channel.id })).status,
        403,
      );
      // An admin sees every account.
      assert.equal(
        (await call(server.url, 'GET', `/api/v4/forms?channel_id=${channel.id}`, { headers: bearer(p.admin) })).status,
        200,
      );
    });
  });
}
