import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { flatten, jsonValue } from '../helpers/csv.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/** Text a spreadsheet would run: every one must come out of the CSV as inert text. */
const HOSTILE = ['=HYPERLINK("http://x","y")', '+1+2', '-3', '@SUM(A1)', '\tTab', '\rCR', 'a,"b"\nc', 'Ærø 東京 🙂'];

for (const engine of ENGINES) {
  describe(`analytics CSV twins [${engine}]`, () => {
    test('every analytics endpoint answers the same rows and fields as CSV, with formula cells neutralised', async (t) => {
      const server = await startTestServer(t, engine);
      const headers = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      const post = async (path: string, body: unknown) => {
        const answer = await call(server.url, 'POST', path, { headers, body });
        assert.ok(answer.status < 300, `${path}: ${JSON.stringify(answer.body)}`);
        return answer.body;
      };
      const users = [];
      for (const [i, name] of HOSTILE.entries())
        users.push(
          await createUser(server.database.db, {
            accountId: 1,
            username: `user${i}`,
            firstName: name,
            lastName: `${name} last`,
            roles: ['reporter'],
          }),
        );
      const channel = await post('/api/v4/channels', { name: 'Field' });
      const states = [];
      for (const name of HOSTILE) states.push(await post('/api/v4/states', { name }));
      const form = await post('/api/v4/forms', {
        channel_id: channel.id,
        name: 'Incident',
        fields: [{ name: 'Kind', field_type: 'Radio', options: HOSTILE.map((name) => ({ name })) }],
      });
      const field = form.fields[0];
      for (const [i, user] of users.entries()) {
        for (let k = 0; k <= i; k++) {
          const report = await post('/api/v4/reports', {
            channel_id: channel.id,
            form_id: form.id,
            user_id: user.id,
            state_id: states[i].id,
            created_at: `2026-11-${String(2 + k).padStart(2, '0')}T0${k % 10}:30:00Z`,
            values: { [field.id]: field.options[i].value },
          });
          await post(`/api/v4/reports/${report.id}/reads`, { user_id: users[(i + 1) % users.length]!.id });
          const alert = await post('/api/v4/alerts', { report_id: report.id, user_ids: [user.id] });
          if (k % 2 === 0) await post(`/api/v4/alerts/${alert.id}/open`, { user_id: user.id });
        }
      }
      const window = `channel_id=${channel.id}&start_date=2026-11-01T00:00:00Z&end_date=2026-12-01T00:00:00Z&time_zone=Asia/Kathmandu`;
      const cases = [
        ['reports_over_time', ''],
        ['reports_per_state', ''],
        ['reports_per_user', ''],
        ['reports_per_day_hour', ''],
        ['reports_per_week_day', ''],
        ['reports_per_field_selection', `&field_id=${field.id}`],
        ['reports_read', '&fields=total_reads,unique_reads,report_readers,reports_seen'],
        ['reports_read', '&fields=unique_reads'],
        ['user_awareness', '&fields=total_alerts,alerts_opened'],
        ['reports_images', ''],
      ];
      for (const [name, extra] of cases) {
        const path = `/api/v4/analytics/${name}?${window}${extra}`;
        const json = await call(server.url, 'GET', path, { headers });
        assert.equal(json.status, 200, `${name}: ${JSON.stringify(json.body)}`);
        for (const ask of [
          { query: '&format=csv', accept: '*/*' },
          { query: '', accept: 'text/csv' },
        ]) {
          const response = await fetch(`${server.url}${path}${ask.query}`, {
            headers: { ...headers, accept: ask.accept },
          });
          assert.equal(response.status, 200, name);
          assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8');
          assert.equal(
            response.headers.get('content-disposition'),
            `attachment; filename="${name}_channel-${channel.id}_2026-11-01_2026-12-01.csv"`,
          );
          const text = await response.text();
          assert.ok(text.endsWith('\r\n'), 'CRLF records');
          const [header, ...cells] = parse(text, { relax_column_count: false }) as string[][];
          const rows = (Array.isArray(json.body) ? json.body : [json.body]).map((r: unknown) => flatten(r));
          assert.deepEqual(header, Object.keys(rows[0] ?? {}).length ? Object.keys(rows[0]!) : header, name);
          assert.equal(cells.length, rows.length, name);
          for (const [i, row] of rows.entries())
            assert.deepEqual(
              Object.fromEntries(header!.map((column, j) => [column, jsonValue(cells[i]![j]!, row[column])])),
              row,
              `${name} row ${i}`,
            );
          // No cell a spreadsheet would evaluate.
          for (const cell of cells.flat()) assert.doesNotMatch(cell, /^[=+@\t\r]|^-(?!\d)/, `${name}: ${cell}`);
        }
      }
      // An empty answer still has its header.
      const empty = await fetch(
        `${server.url}/api/v4/analytics/user_awareness?channel_id=${channel.id}&start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z&fields=total_alerts&format=csv`,
        { headers },
      );
      assert.equal(await empty.text(), 'total_alerts,user_id,first_name,last_name\r\n');
    });
  });
}
