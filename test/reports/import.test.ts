import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createUser } from '../../src/auth/service.js';
import { MAX_LINE_CHARS } from '../../src/reports/import.js';
import { rebuildReportCounts } from '../../src/reports/counts/rebuild-report-counts.js';
import { runCli } from '../helpers/cli.js';
import { ENGINES } from '../helpers/engines.js';
import { bearer, call, loginAs, startTestServer } from '../helpers/server.js';

for (const engine of ENGINES) {
  describe(`reports v4 import [${engine}]`, () => {
    test('line ends: CRLF, blank lines and no final newline; a line over the limit is refused by number', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await createUser(db, {
        accountId: 1,
        username: 'manager1',
        password: 'manager1-password',
        firstName: 'M',
        lastName: 'One',
        roles: ['manager'],
      });
      const session = await loginAs(server.url, 'manager1', 'manager1-password');
      const channel = (
        await call(server.url, 'POST', '/api/v4/channels', { headers: bearer(session), body: { name: 'C' } })
      ).body;
      const post = (body: string) =>
        call(server.url, 'POST', '/api/v4/import', {
          headers: { ...bearer(session), 'content-type': 'application/x-ndjson' },
          body,
        });
      const report = (hour: number) =>
        JSON.stringify({
          type: 'report',
          channel_id: channel.id,
          created_at: `2026-05-01T${String(hour).padStart(2, '0')}:00:00Z`,
        });
      const ok = await post(`${report(1)}\r\n\r\n${report(2)}\n\n${report(3)}`);
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(ok.body, { lines: 5, reports: 3, reads: 0, alerts: 0, deliveries: 0, opens: 0 });
      // Line 3 is over a MiB (a runaway line is not buffered without end); nothing is stored.
      const long = await post(
        `${report(4)}\n${report(5)}\n{"type":"report","note":"${'x'.repeat(MAX_LINE_CHARS)}"}\n${report(6)}\n`,
      );
      assert.equal(long.status, 400);
      assert.match(long.body.error, /^line 3: longer than 1048576 characters/);
      assert.equal(
        Number(
          (
            await db
              .selectFrom('reports')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
        3,
      );
    });

    test('NDJSON over HTTP and with `recap import`: all or nothing, the error names the line', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await createUser(db, {
        accountId: 1,
        username: 'manager1',
        password: 'manager1-password',
        firstName: 'M',
        lastName: 'One',
        roles: ['manager'],
      });
      const reporter = await createUser(db, {
        accountId: 1,
        username: 'reporter1',
        firstName: 'R',
        lastName: 'One',
        roles: ['reporter'],
      });
      const session = await loginAs(server.url, 'manager1', 'manager1-password');
      const channel = (
        await call(server.url, 'POST', '/api/v4/channels', { headers: bearer(session), body: { name: 'C' } })
      ).body;
      const state = (
        await call(server.url, 'POST', '/api/v4/states', { headers: bearer(session), body: { name: 'Open' } })
      ).body;
      const lines = [
        {
          type: 'report',
          ref: 'r1',
          channel_id: channel.id,
          state_id: state.id,
          user_id: reporter.id,
          created_at: '2026-05-01T10:00:00Z',
        },
        { type: 'report', ref: 'r2', channel_id: channel.id, created_at: '2026-05-01T11:00:00+02:00' },
        { type: 'read', report_ref: 'r1', user_id: reporter.id, read_at: '2026-05-02T08:00:00Z' },
        { type: 'alert', ref: 'a1', report_ref: 'r1', user_ids: [reporter.id], sent_at: '2026-05-01T12:00:00Z' },
        { type: 'alert_delivery', alert_ref: 'a1', user_ids: [reporter.id], sent_at: '2026-05-01T13:00:00Z' },
        { type: 'alert_open', alert_ref: 'a1', user_id: reporter.id, opened_at: '2026-05-01T14:00:00Z' },
      ];
      const ndjson = (items: unknown[]) => `${items.map((l) => JSON.stringify(l)).join('\n')}\n`;
      const post = (body: string) =>
        call(server.url, 'POST', '/api/v4/import', {
          headers: { ...bearer(session), 'content-type': 'application/x-ndjson' },
          body,
        });

      const ok = await post(ndjson(lines));
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.deepEqual(ok.body, { lines: 6, reports: 2, reads: 1, alerts: 1, deliveries: 2, opens: 1 });
      const window = `channel_id=${channel.id}&start_date=2026-05-01T00:00:00Z&end_date=2026-05-03T00:00:00Z`;
      const perState = await call(server.url, 'GET', `/api/v4/analytics/reports_per_state?${window}`, {
        headers: bearer(session),
      });
      assert.deepEqual(perState.body, [{ id: state.id, name: 'Open', account_id: 1, report_count: 1 }]);
      const awareness = await call(
        server.url,
        'GET',
        `/api/v4/analytics/user_awareness?${window}&fields=total_alerts,alerts_opened`,
        { headers: bearer(session) },
      );
      assert.deepEqual(awareness.body, [
        { total_alerts: 2, alerts_opened: 1, user_id: reporter.id, first_name: 'R', last_name: 'One' },
      ]);

      // One bad line (an unknown option of a field would be the same): nothing of the file is stored.
      const count = async () =>
        Number(
          (
            await db
              .selectFrom('reports')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await count();
      const bad = [lines[0], lines[1], { type: 'read', report_ref: 'nope' }, lines[3]];
      const refused = await post(ndjson(bad));
      assert.equal(refused.status, 400);
      assert.match(refused.body.error, /^line 3: report_ref "nope"/);
      const badType = await post(ndjson([lines[0], { type: 'report', channel_id: 'x' }]));
      assert.match(badType.body.error, /^line 2: channel_id/);
      assert.match((await post('{"type":"report"\n')).body.error, /^line 1: not valid JSON/);
      // A type named like an Object.prototype member is an unknown type, not a crash.
      for (const type of ['constructor', 'toString', '__proto__']) {
        const answer = await post(`{"type":"${type}"}\n`);
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.match(answer.body.error, /^line 1: type must be one of report, read, alert, alert_delivery, alert_open/);
      }
      assert.equal(await count(), before);

      // The CLI, as the manager, on a file.
      const file = join(server.config.dataDir, 'import.ndjson');
      writeFileSync(file, ndjson(lines.slice(0, 3)));
      const env = { RECAP_DATABASE_URL: server.config.databaseUrl, RECAP_DATA_DIR: server.config.dataDir };
      const run = await runCli(['import', file, '--user', 'manager1'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /imported 3 lines in [\d.]+ s: 2 reports, 1 reads/);
      assert.equal(await count(), before + 2);
      writeFileSync(file, ndjson(bad));
      const failed = await runCli(['import', file, '--user', 'manager1'], env);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /line 3: report_ref "nope"/);
      assert.equal(await count(), before + 2);
    });

    test('the bulk path: thousands of reports count exactly as rebuilt from the rows, and ids stay unique', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await createUser(db, {
        accountId: 1,
        username: 'manager1',
        password: 'manager1-password',
        firstName: 'M',
        lastName: 'One',
        roles: ['manager'],
      });
      const reporters = await Promise.all(
        [1, 2, 3].map((n) =>
          createUser(db, {
            accountId: 1,
            username: `reporter${n}`,
            firstName: 'R',
            lastName: `${n}`,
            roles: ['reporter'],
          }),
        ),
      );
      const session = await loginAs(server.url, 'manager1', 'manager1-password');
      const post = (path: string, body: unknown) => call(server.url, 'POST', path, { headers: bearer(session), body });
      const channel = (await post('/api/v4/channels', { name: 'Bulk' })).body;
      const states = [
        (await post('/api/v4/states', { name: 'Open' })).body,
        (await post('/api/v4/states', { name: 'Closed' })).body,
      ];
      const form = (
        await post('/api/v4/forms', {
          channel_id: channel.id,
          name: 'F',
          fields: [
            { name: 'Level', field_type: 'DropDown', options: [{ name: 'Low' }, { name: 'High' }, { name: 'Max' }] },
            { name: 'Tags', field_type: 'Checkbox', options: [{ name: 'A' }, { name: 'B' }] },
            { name: 'Note', field_type: 'Text' },
          ],
        })
      ).body;
      const [level, tags, note] = form.fields;
      const first = (await post('/api/v4/reports', { channel_id: channel.id, created_at: '2026-03-01T00:00:00Z' }))
        .body;

      // Deterministic pseudo-random lines over March 2026 (a DST change in Europe), with reads in
      // between so that pending reports are flushed mid-batch.
      let seed = 7;
      const next = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
      const lines: unknown[] = [];
      for (let i = 0; i < 2_500; i++) {
        lines.push({
          type: 'report',
          ref: `r${i}`,
          channel_id: channel.id,
          form_id: form.id,
          user_id: reporters[next(3)]!.id,
          ...(next(4) === 0 ? {} : { state_id: states[next(2)]!.id }),
          created_at: new Date(Date.UTC(2026, 2, 1) + next(31 * 86_400) * 1000).toISOString(),
          values: {
            [level.id]: level.options[next(3)].value,
            [tags.id]: tags.options.slice(0, next(3)).map((o: { value: string }) => o.value),
            [note.id]: `n${i}`,
          },
        });
        if (i % 700 === 699)
          lines.push({
            type: 'read',
            report_ref: `r${i - 3}`,
            user_id: reporters[0]!.id,
            read_at: '2026-04-01T00:00:00Z',
          });
      }
      const ndjson = `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
      const imported = await call(server.url, 'POST', '/api/v4/import', {
        headers: { ...bearer(session), 'content-type': 'application/x-ndjson' },
        body: ndjson,
      });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      assert.deepEqual(imported.body, {
        lines: lines.length,
        reports: 2_500,
        reads: 3,
        alerts: 0,
        deliveries: 0,
        opens: 0,
      });
      const after = (await post('/api/v4/reports', { channel_id: channel.id, created_at: '2026-03-31T23:59:59Z' }))
        .body;
      const ids = (await db.selectFrom('reports').select('id').execute()).map((r) => r.id);
      assert.equal(new Set(ids).size, 2_502);
      assert.ok(
        after.id > Math.max(...ids.filter((id) => id !== after.id)),
        'a report created after the import gets a fresh id',
      );
      assert.ok(ids.every((id) => id >= first.id));

      const window = `channel_id=${channel.id}&start_date=2026-02-28T00:00:00Z&end_date=2026-04-02T00:00:00Z&time_zone=Europe/Berlin`;
      const answers = async () =>
        Promise.all(
          [
            'reports_over_time?interval=day',
            'reports_per_state?',
            'reports_per_user?',
            `reports_per_field_selection?field_id=${level.id}`,
            'reports_per_day_hour?',
            'reports_per_week_day?',
          ].map(
            async (q) =>
              (await call(server.url, 'GET', `/api/v4/analytics/${q}&${window}`, { headers: bearer(session) })).body,
          ),
        );
      const fromImport = await answers();
      assert.equal(
        fromImport[2].reduce((n: number, row: { report_count: number }) => n + row.report_count, 0),
        2_502,
      );
      await rebuildReportCounts(db);
      assert.deepEqual(fromImport, await answers());

      // Regression: ids are reserved in growing blocks; past 27 blocks a 32-bit shift overflowed
      // and reserved nothing (500 on the 21,000th report or so).
      const many = Array.from({ length: 30_000 }, (_, i) =>
        JSON.stringify({
          type: 'report',
          channel_id: channel.id,
          created_at: new Date(Date.UTC(2026, 4, 1) + i * 1000).toISOString(),
        }),
      );
      const big = await call(server.url, 'POST', '/api/v4/import', {
        headers: { ...bearer(session), 'content-type': 'application/x-ndjson' },
        body: `${many.join('\n')}\n`,
      });
      assert.equal(big.status, 201, JSON.stringify(big.body));
      assert.equal(big.body.reports, 30_000);
      const may = await call(
        server.url,
        'GET',
        `/api/v4/analytics/reports_over_time?channel_id=${channel.id}&start_date=2026-05-01T00:00:00Z&end_date=2026-06-01T00:00:00Z&interval=month`,
        { headers: bearer(session) },
      );
      assert.deepEqual(may.body, [
        {
          account_id: 1,
          datetime_range_start: '2026-05-01T00:00:00.000Z',
          report_count: 30_000,
          datetime_range_width: 'month',
        },
      ]);
    });
  });
}
