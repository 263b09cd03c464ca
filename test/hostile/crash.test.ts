import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { connect } from '../../src/db/connection.js';
import { T0 } from '../sessions/fixtures.js';
import { signedPost } from '../recordings/fixtures.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { ADMIN, bearer, call, loginAs, type Session } from '../helpers/server.js';

/**
 * `kill -9` while room events, reports, an import and an upload stream in: after a restart every
 * acknowledged write is there, an import is all or nothing, no row lacks its file or has a partial
 * one, and partial files of the killed uploads are swept.
 */
const ROUNDS = Number(process.env.RECAP_TEST_CRASH_ROUNDS ?? 5);
const IMPORT_LINES = 20_000;

interface Acknowledged {
  eventIds: string[];
  reportIds: number[];
  /** Per import: its channel, and whether its 201 arrived. */
  imports: { channelId: number; acknowledged: boolean }[];
  uploads: { recordId: string; size: number }[];
}

/** Sends a body in `pieces`, 10 ms apart; resolves whether a 2xx answer arrived. */
function trickle(
  url: string,
  headers: Record<string, string>,
  pieces: number,
  piece: (i: number) => Buffer,
): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const req = httpRequest(url, { method: url.includes('/upload/') ? 'PUT' : 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300));
      res.on('error', () => resolve(false));
    });
    req.on('error', () => resolve(false));
    let sent = 0;
    const more = () => {
      if (sent === pieces) return void req.end();
      req.write(piece(sent++), () => setTimeout(more, 10));
    };
    more();
  });
}

/** Keeps sending until the server dies; returns what was acknowledged. */
async function writeUntilKilled(
  server: ServerProcess,
  round: number,
  channelId: number,
  importChannelId: number,
  done: Acknowledged,
  session: Session,
): Promise<void> {
  const alive = () => server.child.exitCode === null && server.child.signalCode === null;
  const events = async () => {
    for (let batch = 0; alive(); batch++) {
      const ids = Array.from({ length: 20 }, (_, i) => `r${round}-b${batch}-e${i}`);
      const response = await signedPost(server.url, '/auth/room/events', {
        events: ids.map((id, i) => ({
          id,
          event: 'public_chat',
          room_id: 'crash-room',
          room_sid: 'crash-sid',
          time: T0 + batch * 1000 + i,
          user_id: 'u1',
        })),
      }).catch(() => undefined);
      if (response?.body?.status === true) done.eventIds.push(...ids);
    }
  };
  const reports = async () => {
    while (alive()) {
      const response = await call(server.url, 'POST', '/api/v4/reports', {
        headers: bearer(session),
        body: { channel_id: channelId, created_at: '2026-01-05T10:00:00Z' },
      }).catch(() => undefined);
      if (response?.status === 201) done.reportIds.push(response.body.id);
    }
  };
  const importOnce = async () => {
    const entry = { channelId: importChannelId, acknowledged: false };
    done.imports.push(entry);
    // Streamed 500 lines at a time, so that a kill can land in the middle of the import.
    const line = (i: number) =>
      JSON.stringify({
        type: 'report',
        channel_id: importChannelId,
        created_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      });
    entry.acknowledged = await trickle(
      `${server.url}/api/v4/import`,
      { ...bearer(session), 'content-type': 'application/x-ndjson' },
      IMPORT_LINES / 500,
      (piece) => Buffer.from(Array.from({ length: 500 }, (_, i) => `${line(piece * 500 + i)}\n`).join('')),
    );
  };
  const uploads = async () => {
    for (let n = 0; alive(); n++) {
      const recordId = `crash-${round}-${n}`;
      const { token } = (
        await signedPost(server.url, '/auth/recording/getUploadToken', {
          room_id: 'crash-room',
          room_sid: 'crash-sid',
          record_id: recordId,
          file_name: 'talk.webm',
        }).catch(() => ({ body: {} as { token?: string } }))
      ).body;
      if (!token) return;
      const size = 32 * 64 * 1024;
      // Trickled in 64 KiB pieces, so that the kill lands in the middle of one.
      const acknowledged = await trickle(
        `${server.url}/upload/recording/${token}`,
        { 'content-length': String(size) },
        32,
        () => Buffer.alloc(64 * 1024, n % 251),
      );
      if (acknowledged) done.uploads.push({ recordId, size });
    }
  };
  await Promise.all([events(), reports(), importOnce(), uploads()]);
}

for (const engine of ENGINES) {
  describe(`crash safety [${engine}]`, () => {
    test(`${ROUNDS} rounds of kill -9 during events, reports, an import and an upload lose no acknowledged write and leave no partial file`, async (t) => {
      const scratch = await scratchDatabase(engine);
      const env = { RECAP_DATABASE_URL: scratch.url, RECAP_DATA_DIR: scratch.dataDir, RECAP_IDLE_TIMEOUT: '2s' };
      let server = await startServerProcess(env);
      t.after(async () => {
        await server.stop();
        await scratch.drop();
      });
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const channelId = (
        await call(server.url, 'POST', '/api/v4/channels', { headers: bearer(admin), body: { name: 'Crash' } })
      ).body.id as number;
      const done: Acknowledged = { eventIds: [], reportIds: [], imports: [], uploads: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const session = await loginAs(server.url, ADMIN.username, ADMIN.password);
        const importChannelId = (
          await call(server.url, 'POST', '/api/v4/channels', {
            headers: bearer(session),
            body: { name: `Import ${round}` },
          })
        ).body.id as number;
        const writing = writeUntilKilled(server, round, channelId, importChannelId, done, session);
        await new Promise((r) => setTimeout(r, 400 + ((round * 337) % 900)));
        await server.kill9();
        await writing;
        server = await startServerProcess(env);
      }
      await server.stop();

      const { db, close } = await connect(scratch.url);
      try {
        const events = new Set(
          (await db.selectFrom('room_events').select('event_id').execute()).map((r) => r.event_id),
        );
        const lostEvents = done.eventIds.filter((id) => !events.has(id));
        const reports = new Set((await db.selectFrom('reports').select('id').execute()).map((r) => Number(r.id)));
        const lostReports = done.reportIds.filter((id) => !reports.has(id));
        const imported = await Promise.all(
          done.imports.map(async (i) => ({
            ...i,
            count: Number(
              (
                await db
                  .selectFrom('reports')
                  .select((eb) => eb.fn.countAll().as('n'))
                  .where('channel_id', '=', i.channelId)
                  .executeTakeFirstOrThrow()
              ).n,
            ),
          })),
        );
        const recordings = await db
          .selectFrom('recordings')
          .select(['record_id', 'file_path', 'file_size', 'account_id'])
          .execute();
        const files = join(scratch.dataDir, 'files');
        const badFiles = recordings.filter((r) => {
          const path = join(files, 'recordings', String(r.account_id), r.file_path);
          return !existsSync(path) || statSync(path).size !== Number(r.file_size);
        });
        const registered = new Set(recordings.map((r) => r.record_id));
        const lostUploads = done.uploads.filter((u) => !registered.has(u.recordId));
        t.diagnostic(
          `acknowledged: ${done.eventIds.length} events, ${done.reportIds.length} reports, ${imported.filter((i) => i.acknowledged).length}/${imported.length} imports, ${done.uploads.length} uploads; ` +
            `lost: ${lostEvents.length} events, ${lostReports.length} reports, ${lostUploads.length} uploads; imports stored ${imported.map((i) => i.count).join(', ')} reports`,
        );
        assert.deepEqual(lostEvents, []);
        assert.deepEqual(lostReports, []);
        assert.deepEqual(lostUploads, []);
        for (const i of imported)
          assert.ok(i.count === 0 || i.count === IMPORT_LINES, `a partial import: ${i.count} of ${IMPORT_LINES}`);
        for (const i of imported) if (i.acknowledged) assert.equal(i.count, IMPORT_LINES);
        assert.deepEqual(badFiles, [], 'rows whose file is missing or partial');
        // The uploads the kills cut off left partial files; the restarted server sweeps them once idle.
        server = await startServerProcess(env);
        const partials = join(files, '.partial');
        for (let i = 0; i < 100 && existsSync(partials) && readdirSync(partials).length > 0; i++)
          await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(existsSync(partials) ? readdirSync(partials) : [], []);
      } finally {
        await close();
      }
    });
  });
}
