import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AccessToken, WebhookEvent, TrackSource, TrackType, EgressStatus } from 'livekit-server-sdk';
import type { AnalyticsFile } from '../../src/sessions/analytics-file.js';
import { startServer } from '../../src/main.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';
import { ADMIN, API_KEY, bearer, call, loginAs, startTestServer, testConfig } from '../helpers/server.js';
import { startReceiver } from '../helpers/webhook-receiver.js';
import { signedPost } from '../recordings/fixtures.js';
import { downloadAnalytics, expectedFile, ROOM, scriptedSession, sendEvents, T0 } from './fixtures.js';

for (const engine of ENGINES) {
  describe(`session analytics [${engine}]`, () => {
    test('a scripted session produces an analytics file with every total as computed by hand; duplicates and late events are ignored', async (t) => {
      const server = await startTestServer(t, engine);
      const events = scriptedSession();
      // Two batches; the second repeats three events of the first (webhook retries).
      const first = await sendEvents(server.url, events.slice(0, 10));
      assert.deepEqual(first.body, {
        status: true,
        msg: 'success',
        status_code: 'SUCCESS',
        stored: 10,
        duplicates: 0,
        late: 0,
      });
      const second = await sendEvents(server.url, [...events.slice(7, 10), ...events.slice(10)]);
      assert.deepEqual([second.body.stored, second.body.duplicates, second.body.late], [9, 3, 0]);

      const listed = await signedPost(server.url, '/auth/analytics/fetch', { room_ids: [ROOM.room_id] });
      assert.equal(listed.body.status, true);
      assert.equal(listed.body.result.total_analytics, 1);
      const info = listed.body.result.analytics_list[0];
      assert.deepEqual(Object.keys(info), [
        'room_id',
        'file_id',
        'file_name',
        'file_size',
        'creation_time',
        'room_creation_time',
      ]);
      assert.deepEqual(
        [info.room_id, info.file_id, info.file_name, info.room_creation_time],
        [ROOM.room_id, ROOM.room_sid, `${ROOM.room_sid}.json`, T0 / 1000],
      );
      assert.ok(Math.abs(info.creation_time - Date.now() / 1000) < 60);

      const file = await downloadAnalytics(server.url, info.file_id);
      assert.deepEqual(file, expectedFile());
      assert.equal(info.file_size, Buffer.byteLength(JSON.stringify(file)));

      // Events for a session that has ended: ignored (its file is final), counted as late.
      const late = await sendEvents(server.url, [{ event: 'public_chat', ...ROOM, time: T0 + 70_000, user_id: 'u1' }]);
      assert.deepEqual([late.body.stored, late.body.late], [0, 1]);
      assert.deepEqual(await downloadAnalytics(server.url, info.file_id), expectedFile());
    });

    test('a session of 12,000 events (three read pages, equal times across page edges) keeps every total and the arrival order of ties', async (t) => {
      const server = await startTestServer(t, engine);
      const room = { room_id: 'room-long', room_sid: 'RM_long_1' };
      const events: Record<string, unknown>[] = [
        { event: 'room_started', ...room, time: T0 },
        { event: 'participant_joined', ...room, time: T0, user_id: 'u1', name: 'Ann' },
      ];
      const mic: { time: number; value: string }[] = [];
      let talked = 0;
      for (let i = 0; i < 12_000; i++) {
        const time = T0 + 1000 + Math.floor(i / 7) * 1000; // seven events share each time
        if (i % 3 === 0) {
          const value = i % 2 ? 'on' : 'off';
          mic.push({ time, value });
          events.push({ event: 'mic_status', ...room, time, user_id: 'u1', value });
        } else {
          talked += i;
          events.push({ event: 'talked_duration', ...room, time, user_id: 'u1', value: i });
        }
      }
      events.push({ event: 'room_finished', ...room, time: T0 + 3_000_000 });
      for (let i = 0; i < events.length; i += 1000)
        assert.equal((await sendEvents(server.url, events.slice(i, i + 1000))).status, 200);
      const listed = await signedPost(server.url, '/auth/analytics/fetch', { room_ids: [room.room_id] });
      assert.equal(listed.body.result.total_analytics, 1);
      const file = (await downloadAnalytics(server.url, listed.body.result.analytics_list[0].file_id)) as AnalyticsFile;
      const user = file.users.find((u) => u.user_id === 'u1')!;
      const summary = (name: string) => user.events.find((e) => e.name === name)!;
      assert.equal(summary('talked_duration').total, talked);
      assert.equal(summary('mic_status').total, mic.length);
      assert.deepEqual(summary('mic_status').values, mic);
      assert.equal(file.room.room_duration, 3_000);
    });

    test('concurrent first batches of one new session all land in that session (regression: unique violation on PostgreSQL)', async (t) => {
      const server = await startTestServer(t, engine);
      const room = { room_id: 'room-busy', room_sid: 'RM_busy_1' };
      const batches = Array.from({ length: 6 }, (_, b) =>
        Array.from({ length: 50 }, (_, i) => ({
          event: 'public_chat',
          ...room,
          time: T0 + b * 1000 + i,
          user_id: `u${i % 5}`,
        })),
      );
      const answers = await Promise.all(batches.map((events) => sendEvents(server.url, events)));
      assert.deepEqual(
        answers.map((a) => [a.body.status, a.body.stored]),
        batches.map(() => [true, 50]),
      );
      const sessions = await server.database.db
        .selectFrom('room_sessions')
        .select('id')
        .where('room_sid', '=', room.room_sid)
        .execute();
      assert.equal(sessions.length, 1);
      const events = await server.database.db
        .selectFrom('room_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('session_id', '=', sessions[0]!.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(events.n), 300);
    });

    test('names and values with quotes, backslashes, hex-looking text and non-ASCII come back as sent', async (t) => {
      const server = await startTestServer(t, engine);
      // Stored through one JSON parameter on PostgreSQL: escapes and `\x` (bytea's hex prefix) must stay text.
      const odd = { user_id: 'u"1\\', name: 'Zoë "Q" \\x41 😀', is_admin: true, ex_user_id: '\\x00ff' };
      const room = { room_id: 'room-odd', room_sid: 'RM_odd_1' };
      const events = [
        { id: 'odd-1', event: 'participant_joined', ...room, time: T0, ...odd },
        { id: 'odd-2', event: 'mic_status', ...room, time: T0 + 1000, ...odd, value: '\\x6f6e' },
        { id: 'odd-3', event: 'room_finished', ...room, time: T0 + 2000 },
      ];
      assert.equal((await sendEvents(server.url, events)).body.stored, 3);
      const file = (await downloadAnalytics(server.url, room.room_sid)) as AnalyticsFile;
      const [user] = file.users;
      assert.deepEqual(
        [user!.user_id, user!.name, user!.is_admin, user!.ex_user_id],
        [odd.user_id, odd.name, true, odd.ex_user_id],
      );
      const mic = user!.events.find((e) => e.name === 'mic_status');
      assert.deepEqual(mic?.values, [{ time: T0 + 1000, value: '\\x6f6e' }]);
    });

    test('a batch with invalid events stores nothing and names each bad event by index', async (t) => {
      const server = await startTestServer(t, engine);
      const events = scriptedSession().slice(0, 5);
      const bad = [events[0], { ...events[1], event: 'teleported' }, events[2], { ...events[3], event: 'mic_on' }];
      const answer = await sendEvents(server.url, bad);
      assert.deepEqual(answer.body, {
        status: false,
        msg: 'events[1]: unknown event "teleported"; events[3]: unknown event "mic_on"',
        status_code: 'INVALID_PARAMETERS',
      });
      const typed = await sendEvents(server.url, [events[0], { ...events[1], time: 'noon' }]);
      assert.equal(typed.body.status_code, 'INVALID_PARAMETERS');
      assert.match(typed.body.msg, /events\.1\.time/);
      assert.equal(
        (
          await sendEvents(
            server.url,
            Array.from({ length: 1001 }, () => events[4]),
          )
        ).body.status_code,
        'INVALID_PARAMETERS',
      );
      const counts = await server.database.db
        .selectFrom('room_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(counts.n), 0);
      assert.equal((await server.database.db.selectFrom('room_sessions').selectAll().execute()).length, 0);
    });

    test('a session without events for RECAP_SESSION_IDLE_TIMEOUT is closed and its file written', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1s' });
      const events = scriptedSession().slice(0, -1); // no room_finished
      await sendEvents(server.url, events);
      assert.equal(
        (await signedPost(server.url, '/auth/analytics/fetch', { room_ids: [ROOM.room_id] })).body.status_code,
        'NOT_FOUND',
      );
      let listed;
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 100));
        listed = await signedPost(server.url, '/auth/analytics/fetch', { room_ids: [ROOM.room_id] });
        if (listed.body.status) break;
      }
      assert.equal(listed!.body.result.total_analytics, 1);
      const file = (await downloadAnalytics(server.url, ROOM.room_sid)) as ReturnType<typeof expectedFile>;
      // Ended at its last event (the raised hand).
      assert.deepEqual([file.room.room_ended, file.room.room_duration], [T0 / 1000 + 43, 43]);
      assert.deepEqual(file.users, expectedFile().users);
    });

    test('a restart in the middle of a session loses no event; a session ended before a crash gets its file at start', async (t) => {
      const scratch = await scratchDatabase(engine);
      t.after(() => scratch.drop());
      const config = testConfig(scratch.url, scratch.dataDir);
      const events = scriptedSession();
      const before = await startServer(config, { logger: false });
      await sendEvents(before.url, events.slice(0, 12));
      await before.close();
      const after = await startServer(config, { logger: false });
      await sendEvents(after.url, events.slice(12));
      assert.deepEqual(await downloadAnalytics(after.url, ROOM.room_sid), expectedFile());

      // A second session ended (room_finished stored) but its file never written: a crash.
      const other = { room_id: 'room-b', room_sid: 'RM_b_1' };
      await sendEvents(after.url, scriptedSession(other).slice(0, -1));
      await after.database.db
        .updateTable('room_sessions')
        .set({ state: 'ended', ended_at: T0 + 60_000 })
        .where('room_sid', '=', other.room_sid)
        .execute();
      await after.close();
      const restarted = await startServer(config, { logger: false });
      t.after(() => restarted.close());
      let listed;
      for (let i = 0; i < 40; i++) {
        listed = await signedPost(restarted.url, '/auth/analytics/fetch', { room_ids: [other.room_id] });
        if (listed.body.status) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(listed!.body.result.total_analytics, 1);
      assert.deepEqual(await downloadAnalytics(restarted.url, other.room_sid), expectedFile(other));
      assert.ok(existsSync(join(scratch.dataDir, 'files/analytics/1/room-b/RM_b_1.json')));
    });

    test('LiveKit webhooks: the same session, signed, gives the equivalent file; a bad signature or body hash changes nothing; egress registers a recording', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
      // The application hears of the egress's recording and the session's file, as from plugNmeet.
      const receiver = await startReceiver(t);
      const admin = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      await call(server.url, 'PUT', '/api/v4/webhooks', { headers: admin, body: { url: receiver.url } });
      const room = { name: 'room-lk', sid: 'RM_lk_1' };
      const ann = { identity: 'u1', name: 'Ann', metadata: JSON.stringify({ isAdmin: true, exUserId: 'ext-1' }) };
      const bob = { identity: 'u2', name: 'Bob', metadata: '{}' };
      const mic = { sid: 'TR_mic', type: TrackType.AUDIO, source: TrackSource.MICROPHONE };
      let n = 0;
      const hook = (event: string, seconds: number, extra: Record<string, unknown>) => {
        const json = new WebhookEvent({
          id: `EV_${++n}`,
          createdAt: BigInt(T0 / 1000 + seconds),
          room,
          ...extra,
        } as never).toJson() as Record<string, unknown>;
        return JSON.stringify({ ...json, event });
      };
      const sign = async (body: string, secret = API_KEY.secret) => {
        const token = new AccessToken(API_KEY.key, secret);
        token.sha256 = (await import('node:crypto')).createHash('sha256').update(body).digest('base64');
        return token.toJwt();
      };
      const post = async (body: string, authorization?: string) =>
        fetch(`${server.url}/webhooks/livekit`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/webhook+json', ...(authorization ? { authorization } : {}) },
        });

      const bodies = [
        hook('room_started', 0, {}),
        hook('participant_joined', 1, { participant: ann }),
        hook('participant_joined', 2, { participant: bob }),
        hook('track_published', 3, { participant: ann, track: mic }),
        hook('egress_started', 8, {
          egressInfo: { egressId: 'EG_1', roomId: room.sid, roomName: room.name, status: EgressStatus.EGRESS_ACTIVE },
        }),
        hook('track_unpublished', 10, { participant: ann, track: mic }),
        hook('track_published', 20, { participant: ann, track: mic }),
        hook('participant_left', 30, { participant: bob }),
        hook('participant_joined', 40, { participant: bob }),
        hook('egress_ended', 50, {
          egressInfo: {
            egressId: 'EG_1',
            roomId: room.sid,
            roomName: room.name,
            status: EgressStatus.EGRESS_COMPLETE,
            fileResults: [{ filename: 'room-lk/EG_1.mp4', size: 123_456n, startedAt: BigInt(T0 + 8000) * 1_000_000n }],
          },
        }),
      ];
      // Refused: wrong secret, body changed after signing, no header. Nothing is stored.
      assert.equal((await post(bodies[0]!, await sign(bodies[0]!, 'not-the-secret-0123456789'))).status, 401);
      assert.equal((await post(bodies[1]!, await sign(bodies[0]!))).status, 401);
      assert.equal((await post(bodies[0]!)).status, 401);
      assert.equal((await server.database.db.selectFrom('room_sessions').selectAll().execute()).length, 0);

      for (const body of bodies) {
        const response = await post(body, await sign(body));
        assert.equal(response.status, 200, await response.clone().text());
      }
      // A retried webhook is stored once.
      assert.equal(
        ((await (await post(bodies[3]!, await sign(bodies[3]!))).json()) as { duplicates: number }).duplicates,
        1,
      );
      const finished = hook('room_finished', 60, {});
      assert.equal((await post(finished, await sign(finished))).status, 200);

      const file = (await downloadAnalytics(server.url, room.sid)) as ReturnType<typeof expectedFile>;
      const expected = expectedFile({ room_id: room.name, room_sid: room.sid });
      assert.deepEqual(
        { ...file.room, events: file.room.events.map((e) => ({ ...e, values: e.values.map((v) => v.value) })) },
        {
          ...expected.room,
          room_title: '',
          events: [{ name: 'recording_status', total: 2, values: ['started', 'ended'] }],
        },
      );
      // What LiveKit can tell (joins, leaves, mic) matches the scripted session exactly.
      const liveKitKnows = (u: ReturnType<typeof expectedFile>['users'][number]) => ({
        ...u,
        events: u.events.filter((e) => ['joined', 'left', 'mic_status'].includes(e.name)),
      });
      assert.deepEqual(file.users.map(liveKitKnows), expected.users.map(liveKitKnows));

      const told = (await receiver.waitFor(2)).map((r) => r.json);
      assert.deepEqual(told.map((e) => [e.event, e.recording_info?.record_id ?? e.analytics?.file_id]).sort(), [
        ['analytics_proceeded', room.sid],
        ['recording_proceeded', 'EG_1'],
      ]);
      const recording = await signedPost(server.url, '/auth/recording/info', { record_id: 'EG_1' });
      assert.deepEqual(
        [
          recording.body.recording_info.file_path,
          recording.body.recording_info.file_size,
          recording.body.recording_info.room_sid,
        ],
        ['room-lk/EG_1.mp4', 123_456, room.sid],
      );
    });
  });
}
