import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { connect, type Engine } from '../../src/db/connection.js';
import { migrateTo, migrateToLatest } from '../../src/db/migrate.js';
import { closeSessions } from '../../src/sessions/service.js';
import { LocalFileStorage } from '../../src/storage/files.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';

const T = 1_760_000_000;

function put(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

const recording = (id: number, account_id: number, file_path: string) => ({
  id,
  account_id,
  record_id: `rec-${id}`,
  room_id: file_path.split('/')[0]!,
  room_sid: `sid-${id}`,
  room_title: '',
  file_path,
  file_size: 5,
  creation_time: T,
  room_creation_time: T,
  metadata: '{}',
  created_at: T * 1000,
});

/** An analytics file as Recap wrote it before 0016: room times in unix ms. */
const oldAnalytics = (user: string) =>
  JSON.stringify({
    room: {
      room_id: 'roomA',
      room_title: '',
      room_total_users: 1,
      room_creation: T * 1000 + 500,
      room_ended: T * 1000 + 61_700,
      room_duration: 61_200,
      events: [],
    },
    users: [{ user_id: user, events: [{ name: 'joined', total: 1, values: [{ time: T * 1000 + 900, value: '' }] }] }],
  });

/** A database migrated up to the migration before 0016, with `accounts` accounts, and an empty storage root. */
async function beforeTheLayout(t: TestContext, engine: Engine, accounts: number) {
  const scratch = await scratchDatabase(engine);
  const root = mkdtempSync(join(tmpdir(), 'recap-layout-'));
  const { db, close } = await connect(scratch.url);
  t.after(async () => {
    await close();
    await scratch.drop();
    rmSync(root, { recursive: true, force: true });
  });
  await migrateTo(db, '0015_report_keyed_hours', { storageRoot: root });
  await db
    .insertInto('accounts')
    .values(Array.from({ length: accounts }, (_, i) => ({ id: i + 1, name: `a${i + 1}`, created_at: 0 })))
    .execute();
  return { db, root };
}

for (const engine of ENGINES) {
  describe(`migration 0016: files under their account [${engine}]`, () => {
    for (const interrupted of [false, true]) {
      test(`an existing data directory${interrupted ? ', interrupted after its first step and run again,' : ''} ends with every file in its account's directory`, async (t) => {
        const { db, root } = await beforeTheLayout(t, engine, 3);
        await db
          .insertInto('recordings')
          .values([
            recording(1, 1, 'r1/a.mp4'),
            recording(2, 2, 'r2/b.mp4'),
            recording(3, 1, 'shared/x.mp4'), // the same file registered by accounts 1 and 2 (the bug)
            recording(4, 2, 'shared/x.mp4'),
            recording(5, 2, 'shared2/y.mp4'), // by accounts 2 and 3
            recording(6, 3, 'shared2/y.mp4'),
            recording(7, 1, 'dup/d.mp4'), // twice in one account
            recording(8, 1, 'dup/d.mp4'),
          ])
          .execute();
        const file = (id: number, account_id: number) => ({
          id,
          account_id,
          file_id: 'RM_1',
          room_id: 'roomA',
          room_sid: 'RM_1',
          file_name: 'RM_1.json',
          file_path: 'roomA/RM_1.json',
          file_size: 1,
          creation_time: T,
          room_creation_time: T,
          created_at: T * 1000,
        });
        await db
          .insertInto('analytics_files')
          .values([file(1, 1), file(2, 2)])
          .execute();
        await db
          .insertInto('analytics_room_totals')
          .values([
            { account_id: 1, room_id: 'roomA', total: 1, total_size: 1 },
            { account_id: 2, room_id: 'roomA', total: 1, total_size: 1 },
          ])
          .execute();
        for (const path of ['r1/a.mp4', 'r2/b.mp4', 'shared/x.mp4', 'shared2/y.mp4', 'dup/d.mp4', 'loose/z.mp4'])
          put(root, `recordings/${path}`, `bytes of ${path}`);
        put(root, 'recordings/r1/.upload-0123456789abcdef.part', 'debris of a crashed upload');
        put(root, 'analytics/roomA/RM_1.json', oldAnalytics('u1'));
        if (interrupted) {
          // As a first run leaves it when killed after its first step.
          renameSync(join(root, 'recordings'), join(root, 'recordings.v1-layout'));
          put(root, 'recordings/.layout-v2', '');
        }

        await migrateToLatest(db, { storageRoot: root });
        const read = (path: string) => readFileSync(join(root, path), 'utf8');
        assert.equal(read('recordings/1/r1/a.mp4'), 'bytes of r1/a.mp4');
        assert.equal(read('recordings/2/r2/b.mp4'), 'bytes of r2/b.mp4');
        assert.equal(read('recordings/1/shared/x.mp4'), 'bytes of shared/x.mp4');
        assert.equal(read('recordings/2/shared/x.mp4'), 'bytes of shared/x.mp4');
        assert.equal(read('recordings/2/shared2/y.mp4'), 'bytes of shared2/y.mp4');
        assert.equal(read('recordings/3/shared2/y.mp4'), 'bytes of shared2/y.mp4');
        assert.ok(
          !existsSync(join(root, 'recordings/1/shared2/y.mp4')),
          'a file accounts 2 and 3 shared is not given to account 1',
        );
        assert.equal(
          read('recordings/1/loose/z.mp4'),
          'bytes of loose/z.mp4',
          'unregistered files stay with account 1',
        );
        assert.ok(!existsSync(join(root, 'recordings/1/r1/.upload-0123456789abcdef.part')), 'upload debris removed');
        assert.ok(!existsSync(join(root, 'recordings.v1-layout')) && !existsSync(join(root, 'analytics.v1-layout')));
        const duplicate = await db
          .selectFrom('recordings')
          .select('file_path')
          .where('id', '=', 8)
          .executeTakeFirstOrThrow();
        assert.equal(duplicate.file_path, 'dup/d.copy-8.mp4');
        assert.equal(read('recordings/1/dup/d.copy-8.mp4'), 'bytes of dup/d.mp4');
        assert.equal(
          (await db.selectFrom('recordings').select('file_path').where('id', '=', 7).executeTakeFirstOrThrow())
            .file_path,
          'dup/d.mp4',
        );
        await assert.rejects(
          db
            .insertInto('recordings')
            .values({ ...recording(9, 1, 'r1/a.mp4'), record_id: 'another' })
            .execute(),
          'a stored path has one row',
        );

        for (const account of [1, 2]) {
          const path = `analytics/${account}/roomA/RM_1.json`;
          const room = JSON.parse(read(path)).room;
          assert.deepEqual([room.room_creation, room.room_ended, room.room_duration], [T, T + 61, 61]);
          assert.equal(JSON.parse(read(path)).users[0].events[0].values[0].time, T * 1000 + 900, 'event times stay ms');
          const row = await db
            .selectFrom('analytics_files')
            .select('file_size')
            .where('account_id', '=', account)
            .executeTakeFirstOrThrow();
          assert.equal(Number(row.file_size), statSync(join(root, path)).size);
          const totals = await db
            .selectFrom('analytics_room_totals')
            .select('total_size')
            .where('account_id', '=', account)
            .executeTakeFirstOrThrow();
          assert.equal(Number(totals.total_size), statSync(join(root, path)).size);
        }
        assert.deepEqual(await migrateToLatest(db, { storageRoot: root }), []);
      });
    }

    test('an analytics file two accounts’ sessions wrote over each other is written anew for each from its own events', async (t) => {
      const { db, root } = await beforeTheLayout(t, engine, 2);
      for (const account of [1, 2]) {
        const session = await db
          .insertInto('room_sessions')
          .values({
            account_id: account,
            room_id: 'roomA',
            room_sid: 'RM_1',
            room_title: '',
            state: 'closed',
            started_at: T * 1000,
            last_event_at: T * 1000 + 60_000,
            last_seen_at: T * 1000 + 60_000,
            ended_at: T * 1000 + 60_000,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await db
          .insertInto('room_events')
          .values({
            account_id: account,
            session_id: session.id,
            event_id: 'same-id',
            event: 'participant_joined',
            time: T * 1000 + 1000,
            user_id: `only-in-${account}`,
            name: null,
            is_admin: null,
            ex_user_id: null,
            value: null,
          })
          .execute();
        await db
          .insertInto('analytics_files')
          .values({
            account_id: account,
            file_id: 'RM_1',
            room_id: 'roomA',
            room_sid: 'RM_1',
            file_name: 'RM_1.json',
            file_path: 'roomA/RM_1.json',
            file_size: 10,
            creation_time: T,
            room_creation_time: T,
            created_at: T * 1000,
          })
          .execute();
        await db
          .insertInto('analytics_room_totals')
          .values({ account_id: account, room_id: 'roomA', total: 1, total_size: 10 })
          .execute();
      }
      // The file as the old version left it: the later session's over the earlier one's.
      put(root, 'analytics/roomA/RM_1.json', oldAnalytics('only-in-2'));

      await migrateToLatest(db, { storageRoot: root });
      assert.deepEqual(await db.selectFrom('analytics_files').select('account_id').execute(), []);
      assert.deepEqual(
        (await db.selectFrom('room_sessions').select('state').execute()).map((r) => r.state),
        ['ended', 'ended'],
      );
      assert.deepEqual(
        (await db.selectFrom('analytics_room_totals').select(['total', 'total_size']).execute()).map((r) => [
          Number(r.total),
          Number(r.total_size),
        ]),
        [
          [0, 0],
          [0, 0],
        ],
      );

      // What the session sweeper does at start.
      await closeSessions(db, new LocalFileStorage(root), 3_600_000);
      for (const account of [1, 2]) {
        const file = JSON.parse(readFileSync(join(root, `analytics/${account}/roomA/RM_1.json`), 'utf8'));
        assert.deepEqual(
          file.users.map((u: { user_id: string }) => u.user_id),
          [`only-in-${account}`],
        );
        assert.equal(file.room.room_creation, T);
      }
      assert.equal((await db.selectFrom('analytics_files').select('id').execute()).length, 2);
    });
  });
}
