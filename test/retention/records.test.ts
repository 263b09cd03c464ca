import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { createAccount, createApiKey, createUser } from '../../src/auth/service.js';
import type { Database } from '../../src/db/schema.js';
import { runJanitor } from '../../src/retention/janitor.js';
import { runCli } from '../helpers/cli.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';
import { placeFile, signedPost } from '../recordings/fixtures.js';
import { downloadAnalytics, scriptedSession, sendEvents } from '../sessions/fixtures.js';

const DAY = 86_400_000;
const OTHER_KEY = { key: 'other-org', secret: 'other-org-secret-0123456789' };

/** Room totals kept with each write equal a recount of the rows that remain. */
async function roomTotalsMatchRecounts(db: Kysely<Database>) {
  const checks = [
    sql`select t.room_id, t.total, (select count(*) from recordings r where r.account_id = t.account_id and r.room_id = t.room_id) as n from recording_room_totals t`,
    sql`select t.room_id, t.total, (select count(*) from analytics_files f where f.account_id = t.account_id and f.room_id = t.room_id) as n from analytics_room_totals t`,
    sql`select d.room_id, sum(d.total) as total, (select count(*) from recordings r where r.account_id = d.account_id and r.room_id = d.room_id) as n from recording_room_days d group by d.account_id, d.room_id`,
  ];
  for (const check of checks) {
    const { rows } = await check.execute(db);
    for (const row of rows as { total: number; n: number }[])
      assert.equal(Number(row.total), Number(row.n), JSON.stringify(row));
  }
}

for (const engine of ENGINES) {
  describe(`retention of recordings, analytics files and room events [${engine}]`, () => {
    test('expired data of an account goes (recordings and files through the trash), the rest and other accounts stay', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      const db = server.database.db;
      const other = await createAccount(db, 'Other org');
      await createApiKey(db, { accountId: other.id, apiKey: OTHER_KEY.key, apiSecret: OTHER_KEY.secret });
      await createUser(db, { accountId: 1, username: 'max', password: 'max-password', roles: ['manager'] });
      const manager = bearer(await loginAs(server.url, 'max', 'max-password'));
      const nowSeconds = Math.floor(Date.now() / 1000);
      const add = async (recordId: string, creation: number, key?: typeof OTHER_KEY) => {
        placeFile(server.config.dataDir, `room/${recordId}.webm`, Buffer.from(recordId), key ? other.id : 1);
        const body = {
          room_id: 'room',
          room_sid: 'RM_1',
          record_id: recordId,
          file_path: `room/${recordId}.webm`,
          creation_time: creation,
        };
        const answer = await signedPost(server.url, '/auth/recording/add', body, key);
        assert.equal(answer.body.status, true, JSON.stringify(answer.body));
      };
      await add('old-1', nowSeconds - 100 * 86_400);
      await add('old-2', nowSeconds - 40 * 86_400);
      await add('new-1', nowSeconds - 3600);
      await add('theirs-old', nowSeconds - 100 * 86_400, OTHER_KEY);
      // A session of 2025 (T0): its events are over a year old; its file is written now.
      assert.equal(
        (await sendEvents(server.url, scriptedSession({ room_id: 'room', room_sid: 'RM_1' }))).body.status,
        true,
      );
      const file = await downloadAnalytics(server.url, 'RM_1');
      const pastRoom = async () =>
        (await signedPost(server.url, '/auth/room/fetchPastRooms', { room_ids: ['room'] })).body.result.rooms_list[0];
      const before = await pastRoom();
      assert.equal(before.joined_participants, 2);

      // Manager sets the account's periods; the installation default stays "forever".
      const put = await call(server.url, 'PUT', '/api/v4/retention', {
        headers: manager,
        body: { room_events: 30, analytics_files: 30, recordings: 30 },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body.effective, { room_events: 30, analytics_files: 30, recordings: 30, reports: 0 });
      assert.deepEqual(put.body.account.reports, null);

      const options = {
        retentionDays: server.config.retentionDays,
        trashDays: 7,
        statsRetentionDays: 365,
        batchSize: 10,
        pauseMs: 0,
      };
      const run = await runJanitor(db, server.app.storage, options);
      assert.equal(run.recordings, 2);
      assert.equal(run.analytics_files, 0);
      assert.equal(run.room_events, scriptedSession().length);
      const trash = (await call(server.url, 'GET', '/api/v4/trash', { headers: manager })).body;
      assert.deepEqual(trash.map((i: { id: string }) => i.id).sort(), ['old-1', 'old-2']);
      const listed = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['room'] });
      assert.deepEqual(
        listed.body.result.recordings_list.map((r: { record_id: string }) => r.record_id),
        ['new-1'],
      );
      const events = await db
        .selectFrom('room_events')
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(events.n), 0);
      // Past rooms still count who joined; the analytics file is untouched.
      assert.deepEqual(await pastRoom(), before);
      assert.deepEqual(await downloadAnalytics(server.url, 'RM_1'), file);
      // The other account's recording is its own business.
      const theirs = await signedPost(server.url, '/auth/recording/fetch', { room_ids: ['room'] }, OTHER_KEY);
      assert.equal(theirs.body.result.total_recordings, 1);
      await roomTotalsMatchRecounts(db);

      // 40 days on: the file and the newer recording have expired too, and the first two leave the trash.
      const later = await runJanitor(db, server.app.storage, options, Date.now() + 40 * DAY);
      assert.deepEqual(
        { recordings: later.recordings, analytics_files: later.analytics_files, trash: later.trash },
        { recordings: 1, analytics_files: 1, trash: 2 },
      );
      const gone = await signedPost(server.url, '/auth/analytics/fetch', { room_ids: ['room'] });
      assert.equal(gone.body.status_code, 'NOT_FOUND'); // plugNmeet's answer to an empty list
      assert.equal(existsSync(join(server.config.storageRoot, 'recordings/1/room/old-1.webm')), false);
      await roomTotalsMatchRecounts(db);
      // A second run finds nothing more.
      const again = await runJanitor(db, server.app.storage, options, Date.now() + 40 * DAY);
      assert.deepEqual(again, {
        room_events: 0,
        analytics_files: 0,
        recordings: 0,
        reports: 0,
        trash: 0,
        statistics: 0,
      });
    });

    test('GET and PUT /api/v4/retention: roles, validation, defaults, admins per account; the CLI agrees', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_RETENTION_REPORTS_DAYS: '730' });
      const db = server.database.db;
      const other = await createAccount(db, 'Other org');
      await createUser(db, { accountId: 1, username: 'max', password: 'max-password', roles: ['manager'] });
      await createUser(db, { accountId: 1, username: 'ana', password: 'ana-password', roles: ['analyst'] });
      const manager = bearer(await loginAs(server.url, 'max', 'max-password'));
      const analyst = bearer(await loginAs(server.url, 'ana', 'ana-password'));
      const admin = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));

      const initial = await call(server.url, 'GET', '/api/v4/retention', { headers: manager });
      assert.deepEqual(initial.body, {
        account_id: 1,
        account: { room_events: null, analytics_files: null, recordings: null, reports: null },
        defaults: { room_events: 0, analytics_files: 0, recordings: 0, reports: 730 },
        effective: { room_events: 0, analytics_files: 0, recordings: 0, reports: 730 },
      });
      assert.equal((await call(server.url, 'GET', '/api/v4/retention', { headers: analyst })).status, 403);
      assert.equal((await call(server.url, 'GET', '/api/v4/retention')).status, 401);
      for (const body of [
        { reports: -1 },
        { reports: 1.5 },
        { reports: '30' },
        { reports: 40000 },
        { forever: true },
      ]) {
        const answer = await call(server.url, 'PUT', '/api/v4/retention', { headers: manager, body });
        assert.equal(answer.status, 400, JSON.stringify(body));
      }
      // A manager cannot name another account; an admin can.
      const foreign = await call(server.url, 'PUT', '/api/v4/retention', {
        headers: manager,
        body: { account_id: other.id, reports: 1 },
      });
      assert.equal(foreign.status, 403);
      const byAdmin = await call(server.url, 'PUT', '/api/v4/retention', {
        headers: admin,
        body: { account_id: other.id, reports: 0, recordings: 90 },
      });
      assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
      assert.deepEqual(byAdmin.body.effective, { room_events: 0, analytics_files: 0, recordings: 90, reports: 0 });
      const mine = await call(server.url, 'GET', '/api/v4/retention', { headers: manager });
      assert.deepEqual(mine.body, initial.body);

      const env = { RECAP_DATABASE_URL: server.config.databaseUrl, RECAP_DATA_DIR: server.config.dataDir };
      const set = await runCli(['retention', 'set', '--reports', '365', '--room-events', '14'], env);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /reports +365 days \(account\)/);
      assert.match(set.stdout, /room_events +14 days \(account\)/);
      const back = await runCli(['retention', 'set', '--reports', 'default'], env);
      assert.match(back.stdout, /reports +forever \(default\)/, 'the CLI process has no RECAP_RETENTION_REPORTS_DAYS');
      const shown = await call(server.url, 'GET', '/api/v4/retention', { headers: manager });
      assert.deepEqual(shown.body.account, { room_events: 14, analytics_files: null, recordings: null, reports: null });
      const theirs = await runCli(['retention', 'show', '--account', String(other.id)], env);
      assert.match(theirs.stdout, /recordings +90 days \(account\)/);
      const refused = await runCli(['retention', 'set', '--reports', 'soon'], env);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /days from 0 to 36500/);
    });
  });
}
