import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signedPost } from '../recordings/fixtures.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/** Found by the fuzz test on PostgreSQL: `{"file_id":"\u0000"}` answered 500 (text cannot hold NUL). */
for (const engine of ENGINES) {
  describe(`NUL characters [${engine}]`, () => {
    test('a NUL in a body, query or path string is the same 400 on both engines, in each family’s envelope', async (t) => {
      const server = await startTestServer(t, engine);
      for (const [path, body] of [
        ['/auth/analytics/getDownloadToken', { file_id: '\u0000' }],
        ['/auth/recording/fetch', { room_ids: ['a\u0000b'] }],
        ['/auth/room/events', { events: [{ event: 'room_started', room_id: 'r', room_sid: 's\u0000', time: 1 }] }],
      ] as const) {
        const answer = await signedPost(server.url, path, body);
        assert.equal(answer.status, 200, path);
        assert.equal(answer.body.status_code, 'INVALID_PARAMETERS', path);
        assert.match(answer.body.msg, /must not contain NUL characters/, path);
      }
      const login = await call(server.url, 'POST', '/api/v1/login', { body: { user: 'admin\u0000', password: 'x' } });
      assert.deepEqual([login.status, login.body.success], [400, false]);
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const channel = await call(server.url, 'POST', '/api/v4/channels', {
        headers: bearer(admin),
        body: { name: 'North\u0000' },
      });
      assert.deepEqual(
        [channel.status, channel.body],
        [400, { error: 'body.name must not contain NUL characters', code: 'invalid_params' }],
      );
      const query = await call(
        server.url,
        'GET',
        '/api/v4/analytics/reports_per_state?channel_id=1&start_date=2026-01-01T00:00:00Z&end_date=2026-02-01T00:00:00Z&time_zone=UTC%00',
        { headers: bearer(admin) },
      );
      assert.equal(query.status, 400);
      const created = (
        await call(server.url, 'POST', '/api/v4/channels', { headers: bearer(admin), body: { name: 'North' } })
      ).body;
      const form = (
        await call(server.url, 'POST', '/api/v4/forms', {
          headers: bearer(admin),
          body: { channel_id: created.id, name: 'F', fields: [{ name: 'note', field_type: 'Text' }] },
        })
      ).body;
      const lines = [
        { type: 'report', channel_id: created.id },
        { type: 'report', channel_id: created.id, form_id: form.id, values: { [form.fields[0].id]: 'a\u0000b' } },
      ]
        .map((l) => JSON.stringify(l))
        .join('\n');
      const imported = await fetch(`${server.url}/api/v4/import`, {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'application/x-ndjson' },
        body: lines,
      });
      assert.equal(imported.status, 400);
      assert.match(
        ((await imported.json()) as { error: string }).error,
        /^line 2: values\.\d+ must not contain NUL characters/,
      );
    });
  });
}
