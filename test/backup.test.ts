import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { runBackup, runRestore } from '../src/backup/index.js';
import { loadConfig } from '../src/config/index.js';
import { connect } from '../src/db/connection.js';
import type { Database } from '../src/db/schema.js';
import { recordingStoredFiles } from '../src/recordings/library.js';
import { imageStoredFiles } from '../src/reports/images.js';
import { analyticsStoredFiles } from '../src/sessions/service.js';
import { BACKUP_MARKER, DEFERRED_DIR, LocalFileStorage } from '../src/storage/files.js';
import { runDemo } from '../src/demo/index.js';
import { ENGINES, restoreTarget } from './helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from './helpers/server.js';
import { placeFile, signedPost } from './recordings/fixtures.js';
import { scriptedSession, sendEvents } from './sessions/fixtures.js';

/** Totals kept with each write, each against a recount of the rows: they must agree in a restored copy. */
async function countsMatchRecounts(db: Kysely<Database>): Promise<void> {
  const checks = [
    sql`select t.room_id, t.total, (select count(*) from recordings r where r.account_id = t.account_id and r.room_id = t.room_id) as n from recording_room_totals t`,
    sql`select t.room_id, t.total, (select count(*) from analytics_files f where f.account_id = t.account_id and f.room_id = t.room_id) as n from analytics_room_totals t`,
    sql`select t.channel_id, t.reports as total, (select count(*) from reports r where r.channel_id = t.channel_id) as n from report_channel_totals t`,
    sql`select t.channel_id, t.reads as total, (select count(*) from report_reads r where r.channel_id = t.channel_id) as n from report_channel_totals t`,
    sql`select c.channel_id, sum(c.total) as total, (select count(*) from reports r where r.channel_id = c.channel_id) as n from report_counts c where c.level = 2 group by c.channel_id`,
  ];
  for (const check of checks) {
    const { rows } = await check.execute(db);
    for (const row of rows as { total: number; n: number }[])
      assert.equal(Number(row.total), Number(row.n), JSON.stringify(row));
  }
}

for (const engine of ENGINES) {
  describe(`recap backup and restore [${engine}]`, () => {
    test('a backup taken under a write load restores into a consistent copy; a damaged backup is refused', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_SESSION_IDLE_TIMEOUT: '1h' });
      await runDemo(server.database.db, server.app.storage, { size: 0.05, force: false, password: 'demo-password-1' });
      const headers = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
      const channel = (await call(server.url, 'GET', '/api/v4/channels', { headers })).body.items[0];

      // Writes and deletes of every kind while the backup runs.
      let running = true;
      let writes = 0;
      const load = (async () => {
        for (let i = 0; running; i++) {
          placeFile(server.config.dataDir, `load/r${i}.webm`, Buffer.from(`recording ${i}`));
          await signedPost(server.url, '/auth/recording/add', {
            room_id: 'load',
            room_sid: `load-${i}`,
            record_id: `load-${i}`,
            file_path: `load/r${i}.webm`,
          });
          if (i % 3 === 2) await signedPost(server.url, '/auth/recording/delete', { record_id: `load-${i - 1}` });
          await call(server.url, 'POST', '/api/v4/reports', { headers, body: { channel_id: channel.id } });
          if (i % 5 === 0)
            await sendEvents(server.url, scriptedSession({ room_id: 'load-room', room_sid: `LOAD_${i}` }));
          writes++;
        }
      })();
      const dir = join(mkdtempSync(join(tmpdir(), 'recap-backup-')), 'backup');
      t.after(() => rmSync(dirname(dir), { recursive: true, force: true }));
      await new Promise((r) => setTimeout(r, 300));
      const manifest = await step('backup', runBackup(server.database, server.config, dir));
      running = false;
      await load;
      assert.ok(writes > 3, `writes during the backup: ${writes}`);
      assert.equal(manifest.engine, engine);
      assert.ok(manifest.files.length > 100);

      // Restore into an empty place and check it.
      const source = { url: server.config.databaseUrl, dataDir: server.config.dataDir, drop: async () => undefined };
      const target = await restoreTarget(engine, source);
      t.after(() => target.drop());
      const config = loadConfig({ RECAP_DATABASE_URL: target.url, RECAP_DATA_DIR: target.dataDir });
      await step('restore', runRestore(config, dir));
      const restored = await step('open the restored copy', connect(target.url));
      try {
        for (const files of [
          recordingStoredFiles(restored.db),
          analyticsStoredFiles(restored.db),
          imageStoredFiles(restored.db),
        ])
          for await (const path of files) assert.ok(existsSync(join(config.storageRoot, path)), `${path} restored`);
        await countsMatchRecounts(restored.db);
      } finally {
        await restored.close();
      }
      // A second restore into the now filled place is refused.
      await assert.rejects(runRestore(config, dir), /not empty|has tables|exists/);

      // A damaged file is found before anything is written.
      writeFileSync(join(dir, 'files', manifest.files[0]!.path), 'tampered');
      const another = await restoreTarget(engine, source);
      t.after(() => another.drop());
      await assert.rejects(
        runRestore(loadConfig({ RECAP_DATABASE_URL: another.url, RECAP_DATA_DIR: another.dataDir }), dir),
        /does not match the manifest/,
      );
      assert.ok(!existsSync(join(another.dataDir, 'files')));
    });
  });
}

describe('stored files while a backup runs', () => {
  test('a file moved (as into the trash) stays at its old path under the deferred area, as a deleted one does', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'recap-deferred-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const storage = new LocalFileStorage(root);
    await storage.writeBuffer('recordings/1/room/a.webm', Buffer.from('a'));
    await storage.writeBuffer('analytics/1/room/s1/file.json', Buffer.from('{}'));
    await storage.writeBuffer('recordings/1/room/b.webm', Buffer.from('b'));
    writeFileSync(join(root, BACKUP_MARKER), 'test\n');
    await storage.move('recordings/1/room/a.webm', 'trash/recordings/1/a.webm');
    await storage.move('analytics/1/room/s1', 'trash/analytics/1/s1');
    await storage.remove('recordings/1/room/b.webm');
    assert.equal(readFileSync(join(root, 'trash/recordings/1/a.webm'), 'utf8'), 'a');
    assert.equal(readFileSync(join(root, DEFERRED_DIR, 'recordings/1/room/a.webm'), 'utf8'), 'a');
    assert.equal(readFileSync(join(root, DEFERRED_DIR, 'analytics/1/room/s1/file.json'), 'utf8'), '{}');
    assert.equal(readFileSync(join(root, DEFERRED_DIR, 'recordings/1/room/b.webm'), 'utf8'), 'b');
    assert.ok(!existsSync(join(root, 'recordings/1/room/b.webm')));

    // Without a backup, a move leaves nothing behind.
    rmSync(join(root, BACKUP_MARKER));
    rmSync(join(root, DEFERRED_DIR), { recursive: true });
    mkdirSync(join(root, 'recordings/1/room'), { recursive: true });
    await storage.writeBuffer('recordings/1/room/c.webm', Buffer.from('c'));
    await storage.move('recordings/1/room/c.webm', 'trash/recordings/1/c.webm');
    assert.ok(!existsSync(join(root, DEFERRED_DIR)));
  });
});

/** Names the step a failure came from (an async stack would not). */
async function step<T>(label: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
  }
}

function dirname(path: string): string {
  return join(path, '..');
}
