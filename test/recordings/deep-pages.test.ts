import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { insertRecording } from '../../src/recordings/repository.js';
import { ENGINES } from '../helpers/engines.js';
import { startTestServer } from '../helpers/server.js';
import { order, signedPost, type Row } from './fixtures.js';

/** A recording of the test key's account (1), counted as the routes count it; no file behind it. */
const recording = (roomId: string, recordId: string, creation: number) => ({
  account_id: 1,
  record_id: recordId,
  room_id: roomId,
  room_sid: 's',
  room_title: '',
  file_path: `${roomId}/${recordId}.mp4`,
  file_size: 1,
  creation_time: creation,
  room_creation_time: creation,
  metadata: '{}',
  created_at: 0,
});

for (const engine of ENGINES) {
  describe(`recordings: deep pages [${engine}]`, () => {
    test('fetch: deep pages located through the span and day counters equal the plain order', async (t) => {
      const server = await startTestServer(t, engine);
      // 1,200 recordings over ~100 days (four 32-day spans) in two rooms, several per day and
      // ties on creation_time: `from` ≥ 1000 goes through the span and day counters.
      const rows: Row[] = [];
      for (const [room, offset] of [
        ['deep-a', 0],
        ['deep-b', 30],
      ] as const) {
        for (let i = 0; i < 600; i++) {
          const recordId = `${room}-${String(i).padStart(4, '0')}`;
          const creation = 1_760_000_000 + offset + Math.floor(i / 3) * 45_000;
          rows.push({ record_id: recordId, creation_time: creation });
          await insertRecording(server.database.db, recording(room, recordId, creation));
        }
      }
      for (const direction of ['DESC', 'ASC'] as const) {
        const expected = order(rows, direction);
        for (const from of [999, 1000, 1001, 1100, 1150, 1190, 1199]) {
          // Limits are part of the page query's text: several, and a room without recordings.
          for (const [rooms, limit] of [
            [['deep-a', 'deep-b'], 15],
            [['nope', 'deep-b', 'deep-a'], 7],
          ] as const) {
            const page = await signedPost(server.url, '/auth/recording/fetch', {
              room_ids: rooms,
              from,
              limit,
              order_by: direction,
            });
            assert.equal(page.body.result.total_recordings, 1200);
            assert.deepEqual(
              page.body.result.recordings_list.map((r: Row) => r.record_id),
              expected.slice(from, from + limit).map((r) => r.record_id),
              `${direction} from ${from}, limit ${limit}`,
            );
          }
        }
      }
      // Deletes keep the counters in step: remove recordings spread over the spans, page again.
      for (const gone of ['deep-a-0000', 'deep-b-0150', 'deep-a-0300', 'deep-b-0599']) {
        assert.equal((await signedPost(server.url, '/auth/recording/delete', { record_id: gone })).body.status, true);
      }
      const remaining = rows.filter(
        (r) => !['deep-a-0000', 'deep-b-0150', 'deep-a-0300', 'deep-b-0599'].includes(r.record_id),
      );
      for (const direction of ['DESC', 'ASC'] as const) {
        for (const from of [1000, 1180, 1195]) {
          const page = await signedPost(server.url, '/auth/recording/fetch', {
            room_ids: ['deep-a', 'deep-b'],
            from,
            limit: 15,
            order_by: direction,
          });
          assert.deepEqual(
            page.body.result.recordings_list.map((r: Row) => r.record_id),
            order(remaining, direction)
              .slice(from, from + 15)
              .map((r) => r.record_id),
          );
        }
      }

      // Counters read by separate statements can be out of step while a write commits between
      // them; a page then comes out short, never as an error. Simulated by emptying a room's spans.
      await server.database.db
        .updateTable('recording_room_spans')
        .set({ total: 0 })
        .where('room_id', '=', 'deep-b')
        .execute();
      for (const direction of ['DESC', 'ASC'] as const) {
        const page = await signedPost(server.url, '/auth/recording/fetch', {
          room_ids: ['deep-a', 'deep-b'],
          from: 1100,
          order_by: direction,
        });
        assert.equal(page.status, 200);
        assert.equal(page.body.status, true);
        assert.equal(page.body.result.total_recordings, 1196);
      }
    });

    test('fetch: deep pages beside spans whose recordings were all deleted', async (t) => {
      const server = await startTestServer(t, engine);
      // 1,050 recordings inside one day, so positions from 1,000 lie in the first span either way.
      const rows: Row[] = [];
      for (let i = 0; i < 1050; i++) {
        const recordId = `dense-${String(i).padStart(4, '0')}`;
        rows.push({ record_id: recordId, creation_time: 1_760_000_000 + i * 60 });
        await insertRecording(server.database.db, recording('dense', recordId, 1_760_000_000 + i * 60));
      }
      // One span before it and one after, emptied: their counter rows stay, at zero, on both sides
      // of the span that holds the positions.
      for (const [recordId, creation] of [
        ['emptied-old', 1_700_000_000],
        ['emptied-new', 1_800_000_000],
      ] as const) {
        await insertRecording(server.database.db, recording('emptied', recordId, creation));
        assert.equal(
          (await signedPost(server.url, '/auth/recording/delete', { record_id: recordId })).body.status,
          true,
        );
      }
      for (const direction of ['DESC', 'ASC'] as const) {
        for (const from of [1000, 1040]) {
          const page = await signedPost(server.url, '/auth/recording/fetch', {
            room_ids: ['emptied', 'dense'],
            from,
            limit: 10,
            order_by: direction,
          });
          assert.equal(page.body.result.total_recordings, 1050);
          assert.deepEqual(
            page.body.result.recordings_list.map((r: Row) => r.record_id),
            order(rows, direction)
              .slice(from, from + 10)
              .map((r) => r.record_id),
            `${direction} from ${from}`,
          );
        }
      }
    });
  });
}
