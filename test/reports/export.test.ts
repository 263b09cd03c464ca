import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { createAccount, createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { jsonValue } from '../helpers/csv.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

const HOSTILE = ['=cmd|" /C calc"!A0', '+1', '@SUM(A1)', 'Ærø 東京', 'a,"b"\nc'];

/** `GET /api/v4/reports`: cursor pages of JSON and one streamed CSV, equal to each other. */
for (const engine of ENGINES) {
  describe(`raw report export [${engine}]`, () => {
    test('pages by cursor over [start, end), and the CSV has the same reports with a column per field', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      const admin = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      const post = async (path: string, body: unknown) => {
        const answer = await call(server.url, 'POST', path, { headers: admin, body });
        assert.ok(answer.status < 300, `${path}: ${JSON.stringify(answer.body)}`);
        return answer.body;
      };
      const person = async (
        accountId: number,
        username: string,
        role: 'analyst' | 'reporter',
        firstName = username,
      ) => {
        const user = await createUser(db, {
          accountId,
          username,
          password: `${username}-password`,
          firstName,
          lastName: 'X',
          roles: [role],
        });
        return { id: user.id, headers: bearer(await loginAs(server.url, username, `${username}-password`)) };
      };
      const analyst = await person(1, 'ana', 'analyst', HOSTILE[0]);
      const reporter = await person(1, 'rex', 'reporter', 'Rex');
      const other = await createAccount(db, 'Other');
      const stranger = await person(other.id, 'sam', 'analyst');
      const channel = await post('/api/v4/channels', { name: 'Field' });
      const state = await post('/api/v4/states', { name: HOSTILE[1] });
      const full = await post('/api/v4/forms', {
        channel_id: channel.id,
        name: 'Inspection',
        fields: [
          { name: 'Kind', field_type: 'Radio', options: HOSTILE.map((name) => ({ name })) },
          {
            name: 'Checks',
            field_type: 'Checkbox',
            options: [{ name: 'Photo' }, { name: 'Lead told' }, { name: '-minus' }],
          },
          { name: 'Notes', field_type: 'Text' },
          { name: 'Count', field_type: 'Number' },
          { name: 'Seen', field_type: 'Date' },
        ],
      });
      const short = await post('/api/v4/forms', {
        channel_id: channel.id,
        name: 'Quick',
        fields: [{ name: 'Notes', field_type: 'Text' }],
      });
      const unused = await post('/api/v4/forms', {
        channel_id: channel.id,
        name: 'Unused',
        fields: [{ name: 'X', field_type: 'Text' }],
      });
      const [kind, checks, notes, count, seen] = full.fields;
      const at = (minutes: number) => new Date(Date.UTC(2026, 10, 1) + minutes * 60_000).toISOString();
      const made: any[] = [];
      for (let i = 0; i < 11; i++) {
        const body =
          i % 3 === 2
            ? {
                channel_id: channel.id,
                form_id: short.id,
                user_id: reporter.id,
                created_at: at(i * 7),
                values: { [short.fields[0].id]: HOSTILE[i % 5] },
              }
            : {
                channel_id: channel.id,
                form_id: full.id,
                user_id: i % 2 ? reporter.id : analyst.id,
                state_id: i % 2 ? state.id : undefined,
                // Two reports share a time: the cursor orders them by id.
                created_at: at(i === 4 ? 3 * 7 : i * 7),
                values: {
                  [kind.id]: kind.options[i % 5].value,
                  [checks.id]: checks.options
                    .filter((_: unknown, k: number) => (i + k) % 2 === 0)
                    .map((o: { value: string }) => o.value),
                  [notes.id]: HOSTILE[(i + 2) % 5],
                  [count.id]: -i,
                  [seen.id]: '2026-10-30',
                },
              };
        made.push(await post('/api/v4/reports', body));
      }
      for (const r of made.slice(0, 4)) await post(`/api/v4/reports/${r.id}/reads`, { user_id: reporter.id });
      const image = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3a7' } })
        .jpeg()
        .toBuffer();
      await fetch(`${server.url}/api/v4/reports/${made[1].id}/images`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'image/jpeg' },
        body: image,
      });
      assert.ok(unused);

      // The window: the report at its start is in, the one at its end is out.
      const window = `channel_id=${channel.id}&start_date=${at(7)}&end_date=${at(70)}`;
      const inWindow = made
        .filter((r) => r.created_at >= at(7) && r.created_at < at(70))
        .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
      const items: any[] = [];
      for (let cursor: string | undefined, pages = 0; ; pages++) {
        const page = await call(
          server.url,
          'GET',
          `/api/v4/reports?${window}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
          { headers: analyst.headers },
        );
        assert.equal(page.status, 200, JSON.stringify(page.body));
        items.push(...page.body.items);
        cursor = page.body.next_cursor;
        if (!cursor) break;
        assert.ok(pages < 10);
      }
      assert.deepEqual(
        items.map((r) => r.id),
        inWindow.map((r) => r.id),
      );
      const second = items.find((r) => r.id === made[1].id);
      assert.deepEqual([second.reads, second.images], [1, 1]);
      assert.deepEqual(second.values, made[1].values);

      const refused = (path: string, headers = analyst.headers) => call(server.url, 'GET', path, { headers });
      assert.equal((await refused(`/api/v4/reports?${window}&cursor=bm9wZQ`)).status, 400);
      assert.equal((await refused(`/api/v4/reports?${window}&limit=1001`)).status, 400);
      assert.equal((await refused(`/api/v4/reports?${window}`, reporter.headers)).status, 403);
      assert.equal((await refused(`/api/v4/reports?${window}`, stranger.headers)).status, 404);

      // The CSV: the same reports, a column per field of the forms used in the window.
      const csv = await fetch(`${server.url}/api/v4/reports?${window}&format=csv`, { headers: analyst.headers });
      assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(
        csv.headers.get('content-disposition'),
        `attachment; filename="reports_channel-${channel.id}_2026-11-01_2026-11-01.csv"`,
      );
      const [header, ...rows] = parse(await csv.text()) as string[][];
      assert.deepEqual(header, [
        'id',
        'created_at',
        'user_id',
        'user',
        'state',
        'form',
        'reads',
        'images',
        'Inspection.Kind',
        'Inspection.Checks',
        'Inspection.Notes',
        'Inspection.Count',
        'Inspection.Seen',
        'Quick.Notes',
      ]);
      assert.equal(rows.length, items.length);
      const optionName = (field: { options: { value: string; name: string }[] }, value: string) =>
        field.options.find((o) => o.value === value)!.name;
      for (const [i, item] of items.entries()) {
        const cell = (column: string, like: unknown = ''): unknown =>
          jsonValue(rows[i]![header!.indexOf(column)]!, like);
        assert.equal(cell('id', 0), item.id);
        assert.equal(cell('created_at'), item.created_at);
        assert.equal(cell('user'), item.user_id === analyst.id ? `${HOSTILE[0]} X` : 'Rex X');
        assert.equal(cell('state'), item.state_id ? HOSTILE[1] : '');
        assert.equal(cell('reads', 0), item.reads);
        assert.equal(cell('images', 0), item.images);
        if (item.form_id === full.id) {
          assert.equal(cell('form'), 'Inspection');
          assert.equal(cell('Inspection.Kind'), optionName(kind, item.values[kind.id]));
          assert.equal(
            cell('Inspection.Checks'),
            item.values[checks.id].map((v: string) => optionName(checks, v)).join('; '),
          );
          assert.equal(cell('Inspection.Notes'), item.values[notes.id]);
          assert.equal(cell('Inspection.Count', 0), item.values[count.id]);
          assert.equal(cell('Quick.Notes'), '');
        } else assert.equal(cell('Quick.Notes'), item.values[short.fields[0].id]);
      }
      for (const value of rows.flat()) assert.doesNotMatch(value, /^[=+@\t\r]|^-(?!\d)/, value);
      // An empty window is the header alone.
      const empty = await fetch(
        `${server.url}/api/v4/reports?channel_id=${channel.id}&start_date=2020-01-01T00:00:00Z&end_date=2020-01-02T00:00:00Z`,
        {
          headers: { ...analyst.headers, accept: 'text/csv' },
        },
      );
      assert.equal(await empty.text(), 'id,created_at,user_id,user,state,form,reads,images\r\n');
    });
  });
}
