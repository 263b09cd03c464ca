import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENGINES } from './helpers/engines.js';
import { assertCsvTwin } from './helpers/csv.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from './helpers/server.js';
import { placeFile, signedPost } from './recordings/fixtures.js';
import { scriptedSession, sendEvents } from './sessions/fixtures.js';

const HOSTILE = ['=HYPERLINK("http://x","y")', '+1', '-x', '@SUM(A1)', 'a,"b"\nc', 'Ærø 東京 🙂'];

/** CSV twins of statistics.list and of a room's recordings and analytics files. */
for (const engine of ENGINES) {
  describe(`CSV of lists [${engine}]`, () => {
    test('statistics.list, a room’s recordings and its analytics files as CSV equal their JSON', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      const headers = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      for (const [i, title] of HOSTILE.entries()) {
        placeFile(server.config.dataDir, `room-1/r${i}.mp4`, Buffer.from(`video ${i}`));
        const add = await signedPost(server.url, '/auth/recording/add', {
          room_id: 'room-1',
          room_sid: `sid-${i}`,
          record_id: `rec-${i}`,
          file_path: `room-1/r${i}.mp4`,
          creation_time: 1_760_000_000 + i,
          metadata: {
            title,
            description: HOSTILE[(i + 1) % HOSTILE.length],
            extra_data: { note: title },
            ...(i % 2 ? { subtitles: { en: { label: 'English', url: 'https://cdn.example/en.vtt' } } } : {}),
          },
        });
        assert.equal(add.body.status, true, JSON.stringify(add.body));
      }
      for (const room_sid of ['RM_1', 'RM_2'])
        await sendEvents(server.url, scriptedSession({ room_id: 'room-1', room_sid }));
      for (let i = 0; i < 3; i++) await call(server.url, 'GET', '/api/v1/statistics?refresh=true', { headers });

      const both = async (path: string) => {
        const json = await call(server.url, 'GET', path, { headers });
        assert.equal(json.status, 200, `${path}: ${JSON.stringify(json.body)}`);
        const csv = await fetch(`${server.url}${path}${path.includes('?') ? '&' : '?'}format=csv`, { headers });
        assert.equal(csv.status, 200);
        assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
        const viaAccept = await fetch(`${server.url}${path}`, { headers: { ...headers, accept: 'text/csv' } });
        const text = await csv.text();
        assert.equal(await viaAccept.text(), text, `${path}: Accept: text/csv gives the same file`);
        return { json: json.body, text, disposition: csv.headers.get('content-disposition') };
      };

      const recordings = await both('/api/v4/recordings?room_id=room-1&limit=100');
      assert.equal(recordings.disposition, 'attachment; filename="recordings_room-1.csv"');
      const header = assertCsvTwin(recordings.text, recordings.json.items, 'recordings');
      assert.ok(header.includes('metadata.subtitles.en.url'));
      const files = await both('/api/v4/analytics-files?room_id=room-1');
      assertCsvTwin(files.text, files.json.items, 'analytics files');
      // An empty list is its header alone (it was an empty line).
      const noRecordings = await both('/api/v4/recordings?room_id=room-9');
      assert.equal(
        noRecordings.text,
        'record_id,room_id,room_sid,file_path,file_size,creation_time,room_creation_time\r\n',
      );
      const noFiles = await both('/api/v4/analytics-files?room_id=room-9');
      assert.equal(noFiles.text, 'room_id,file_id,file_name,file_size,creation_time,room_creation_time\r\n');

      const fields = encodeURIComponent(JSON.stringify({ createdAt: 1, totalRecordings: 1, os: 1 }));
      const stats = await both(
        `/api/v1/statistics.list?count=10&sort=${encodeURIComponent('{"createdAt":-1}')}&fields=${fields}`,
      );
      assert.equal(stats.disposition, 'attachment; filename="statistics.csv"');
      const statsHeader = assertCsvTwin(stats.text, stats.json.statistics, 'statistics');
      assert.deepEqual(statsHeader.slice(0, 2), ['_id', 'createdAt']);
      assert.ok(statsHeader.includes('os.cpus'), 'an array is one column, as JSON text');
      assert.ok(!statsHeader.includes('totalUsers'), 'only the chosen fields');
    });
  });
}
