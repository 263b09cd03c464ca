import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createUser } from '../../src/auth/service.js';
import { buildApp } from '../../src/app.js';
import { prepareDatabase } from '../../src/main.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';
import { ADMIN, call, loginAs, rcHeaders, startTestServer, testConfig } from '../helpers/server.js';
import { clearSnapshots, dailyDocuments, list, storeSnapshots } from './fixtures.js';

const ids = (body: { statistics: { _id: string }[] }) => body.statistics.map((d) => d._id);
const invalid = (kind: 'sort' | 'fields' | 'query', raw: string) => ({
  success: false,
  errorType: `error-invalid-${kind}`,
  error: `Invalid ${kind} parameter provided: "${raw}" [error-invalid-${kind}]`,
  details: { helperMethod: 'parseJsonQuery' },
});

for (const engine of ENGINES) {
  describe(`statistics [${engine}]`, () => {
    test('list: defaults, count clamp, count=0, offset, negative offset, bad parameters, stored order and field sets', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await clearSnapshots(db);
      // 130 snapshots; two of them stored with other field sets (an older version, the typo field).
      const documents = dailyDocuments(130, (i) =>
        i === 3 ? { totlalLivechat: 0 } : i === 4 ? { os: { type: 'Linux' } } : {},
      );
      await storeSnapshots(db, documents);
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);

      const defaults = await list(server.url, admin, {});
      assert.equal(defaults.status, 200);
      assert.equal(defaults.headers.get('cache-control'), 'no-store');
      assert.deepEqual(
        {
          count: defaults.body.count,
          offset: defaults.body.offset,
          total: defaults.body.total,
          success: defaults.body.success,
        },
        { count: 50, offset: 0, total: 130, success: true },
      );
      assert.deepEqual(
        ids(defaults.body),
        documents.slice(0, 50).map((d) => d._id),
        'stored order: oldest first',
      );
      assert.deepEqual(defaults.body.statistics[3], documents[3], 'returned exactly as stored');
      assert.deepEqual(defaults.body.statistics[4], documents[4]);

      assert.equal((await list(server.url, admin, { count: 500 })).body.count, 100);
      const all = await list(server.url, admin, { count: 0 });
      assert.equal(all.body.count, 130);
      assert.equal(all.body.total, 130);
      const page = await list(server.url, admin, { offset: 125, count: 10 });
      assert.deepEqual(
        { count: page.body.count, offset: page.body.offset, total: page.body.total },
        { count: 5, offset: 125, total: 130 },
      );
      assert.deepEqual(
        ids(page.body),
        documents.slice(125).map((d) => d._id),
      );

      assert.deepEqual((await list(server.url, admin, { offset: -1 })).body, {
        success: false,
        errorType: 'error-invalid-params',
        error: 'must be >= 0',
      });
      assert.deepEqual((await list(server.url, admin, { count: 'ten' })).body, {
        success: false,
        errorType: 'error-invalid-params',
        error: 'must be number',
      });
      assert.equal((await list(server.url, admin, { count: 1.5 })).status, 400);
      assert.deepEqual((await list(server.url, admin, { colour: 'red' })).body, {
        success: false,
        errorType: 'error-invalid-params',
        error: 'must NOT have additional properties',
      });
    });

    test('sort and fields: createdAt either way, other fields, bad JSON, mixed projection (inclusion wins)', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await clearSnapshots(db);
      const documents = dailyDocuments(12, (i) => ({
        activeUsers: (i * 7) % 5,
        os: { type: 'Linux', freemem: i },
        migration: { version: 4, locked: false },
      }));
      await storeSnapshots(db, documents);
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);

      const newest = await list(server.url, admin, { sort: '{"createdAt":-1}', count: 3 });
      assert.deepEqual(ids(newest.body), [documents[11]!._id, documents[10]!._id, documents[9]!._id]);
      const byActive = await list(server.url, admin, { sort: '{"activeUsers":-1,"totalUsers":1}', count: 4 });
      assert.deepEqual(
        byActive.body.statistics.map((d: { activeUsers: number; totalUsers: number }) => [d.activeUsers, d.totalUsers]),
        [
          [4, 2],
          [4, 7],
          [3, 4],
          [3, 9],
        ],
      );
      assert.equal(byActive.body.total, 12);

      for (const raw of ['{"createdAt":"desc"}', '{"createdAt":2}', '[1]', 'not json', '{"$where":1}']) {
        const bad = await list(server.url, admin, { sort: raw });
        assert.equal(bad.status, 400, raw);
        assert.deepEqual(bad.body, invalid('sort', raw));
      }
      for (const raw of ['{"os":true}', '{"os":"0"}', '{"os":', '{"$where":1}']) {
        assert.deepEqual((await list(server.url, admin, { fields: raw })).body, invalid('fields', raw), raw);
      }

      // The seed's example: exclusions.
      const excluded = await list(server.url, admin, {
        fields: '{"os":0,"migration":0,"deploy":0,"process":0}',
        count: 1,
      });
      assert.deepEqual(excluded.body.statistics[0], {
        _id: documents[0]!._id,
        createdAt: documents[0]!.createdAt,
        _updatedAt: documents[0]!._updatedAt,
        totalUsers: 0,
        activeUsers: 0,
      });
      // Mixed: inclusion wins, the 0 keys are dropped; dotted paths project nested fields.
      const mixed = await list(server.url, admin, {
        fields: '{"totalUsers":1,"os.freemem":1,"migration":0}',
        count: 2,
        offset: 1,
      });
      assert.deepEqual(mixed.body.statistics, [
        { _id: documents[1]!._id, totalUsers: 1, os: { freemem: 1 } },
        { _id: documents[2]!._id, totalUsers: 2, os: { freemem: 2 } },
      ]);
    });

    test('query: createdAt ranges with Extended JSON dates, _id, nested operators; totals count every match', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await clearSnapshots(db);
      const documents = dailyDocuments(40, (i) => ({
        os: { loadavg: [i % 3, 0, 0] },
        deploy: { method: i % 2 ? 'docker' : 'node' },
      }));
      await storeSnapshots(db, documents);
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);

      // [2026-01-11T12:00Z, 2026-01-21T12:00Z): days 10..19.
      const range =
        '{"createdAt":{"$gte":{"$date":"2026-01-11T12:00:00Z"},"$lt":{"$date":"2026-01-21T12:00:00.000Z"}}}';
      const ranged = await list(server.url, admin, { query: range, sort: '{"createdAt":-1}', count: 3 });
      assert.equal(ranged.body.total, 10);
      assert.deepEqual(ids(ranged.body), [documents[19]!._id, documents[18]!._id, documents[17]!._id]);
      const epoch = await list(server.url, admin, {
        query: `{"createdAt":{"$gt":{"$date":{"$numberLong":"${Date.UTC(2026, 1, 5, 12)}"}}}}`,
        count: 0,
      });
      assert.deepEqual(
        ids(epoch.body),
        documents.slice(36).map((d) => d._id),
      );

      const seed = await list(server.url, admin, {
        query: `{"_id":"${documents[7]!._id}"}`,
        fields: '{"os":0,"migration":0,"deploy":0,"process":0}',
      });
      assert.deepEqual(seed.body, {
        statistics: [
          {
            _id: documents[7]!._id,
            createdAt: documents[7]!.createdAt,
            _updatedAt: documents[7]!._updatedAt,
            totalUsers: 7,
          },
        ],
        count: 1,
        offset: 0,
        total: 1,
        success: true,
      });

      const nested = await list(server.url, admin, {
        query:
          '{"$and":[{"deploy.method":"docker"},{"$or":[{"totalUsers":{"$lt":5}},{"totalUsers":{"$in":[33,35]}}]}],"os.loadavg":{"$elemMatch":{"$gte":1}}}',
        count: 0,
      });
      assert.deepEqual(
        nested.body.statistics.map((d: { totalUsers: number }) => d.totalUsers),
        [1, 35],
      );
      assert.equal(nested.body.total, 2);
      const paged = await list(server.url, admin, {
        query: '{"deploy.method":{"$ne":"node"}}',
        offset: 5,
        count: 3,
        sort: '{"totalUsers":-1}',
      });
      assert.deepEqual(
        { total: paged.body.total, users: paged.body.statistics.map((d: { totalUsers: number }) => d.totalUsers) },
        { total: 20, users: [29, 27, 25] },
      );
      assert.equal((await list(server.url, admin, { query: '{"missing":{"$exists":true}}' })).body.total, 0);
    });

    test('security: operators that run code or regexes are refused at every depth; prototype keys, depth and size are bounded', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await clearSnapshots(db);
      await storeSnapshots(
        db,
        dailyDocuments(3, () => ({ a: 'a'.repeat(50_000) + '!' })),
      );
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const refused = [
        '{"$where":"sleep(1000)"}',
        '{"$function":{"body":"return true","args":[],"lang":"js"}}',
        '{"$accumulator":{}}',
        '{"$expr":{"$gt":["$totalUsers",0]}}',
        '{"$or":[{"$where":"true"}]}',
        '{"$and":[{"totalUsers":1},{"$expr":{"$eq":[1,1]}}]}',
        '{"os":{"$elemMatch":{"$where":"true"}}}',
        '{"$or":[{"a":{"$not":{"$function":{}}}}]}',
        '{"$nor":[{"$and":[{"$or":[{"$accumulator":{}}]}]}]}',
        '{"a":{"$regex":"^(a+)+$"}}',
        '{"a":{"$not":{"$regex":"x"}}}',
        '{"__proto__":{"isAdmin":true}}',
        '{"a":{"constructor":{"prototype":{"x":1}}}}',
        '{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":1}}}}}}}}}}}',
        `{"$or":[${Array.from({ length: 300 }, (_, i) => `{"totalUsers":${i}}`).join(',')}]}`,
        // Malformed operands answered 500 (found by the hostile run): each operator's shape is checked.
        '{"$or":"x"}',
        '{"$and":{}}',
        '{"$and":[]}',
        '{"$nor":[null]}',
        '{"$and":[{"a":1},["x"]]}',
        '{"a":{"$elemMatch":[1]}}',
        '{"a":{"$in":5}}',
        '{"a":{"$nin":"x"}}',
        '{"a":{"$size":-1}}',
        '{"a":{"$size":"2"}}',
        '{"a":{"$not":1}}',
        '{"a":{"$exists":"yes"}}',
      ];
      for (const raw of refused) {
        const started = performance.now();
        const response = await list(server.url, admin, { query: raw });
        assert.equal(response.status, 400, raw);
        assert.equal(response.body.errorType, 'error-invalid-query', raw);
        assert.ok(performance.now() - started < 100, `${raw} took too long`);
      }
      assert.equal(Object.prototype.hasOwnProperty.call({}, 'isAdmin'), false);
      for (const offset of ['99999999999999999999', '9007199254740993', '1e300']) {
        const response = await list(server.url, admin, { offset });
        assert.deepEqual([response.status, response.body.errorType], [400, 'error-invalid-params'], offset);
      }
      // Ten levels of objects is fine (arrays add none).
      assert.equal(
        (
          await list(server.url, admin, {
            query:
              '{"$and":[{"$or":[{"$and":[{"$or":[{"$and":[{"$or":[{"$and":[{"totalUsers":{"$not":{"$lt":0}}}]}]}]}]}]}]}]}',
          })
        ).body.total,
        3,
      );
    });

    test('permissions: no credentials 401, a user without view-statistics 400 error-not-allowed; RECAP_STATS_UNSAFE_PARAMS=false', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_STATS_UNSAFE_PARAMS: 'false' });
      await createUser(server.database.db, {
        accountId: 1,
        username: 'analyst1',
        password: 'analyst-password',
        roles: ['analyst'],
      });
      const analyst = await loginAs(server.url, 'analyst1', 'analyst-password');
      const unauthorized = {
        success: false,
        error: 'You must be logged in to do this.',
        status: 'error',
        message: 'You must be logged in to do this.',
      };
      for (const path of ['/api/v1/statistics.list', '/api/v1/statistics', '/api/v1/statistics?refresh=true']) {
        assert.deepEqual(await call(server.url, 'GET', path).then((r) => [r.status, r.body]), [401, unauthorized]);
        assert.deepEqual(
          await call(server.url, 'GET', path, { headers: rcHeaders(analyst) }).then((r) => [r.status, r.body]),
          [400, { success: false, error: 'error-not-allowed' }],
        );
      }
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      assert.equal((await list(server.url, admin, { count: 1 })).status, 200);
      const off = await list(server.url, admin, { query: '{}' });
      assert.equal(off.status, 400);
      assert.equal(off.body.errorType, 'error-invalid-params');
      assert.equal((await list(server.url, admin, { fields: '{"os":0}' })).status, 400);
    });

    test('statistics?refresh=true stores a new snapshot whose figures count users, logins and recordings', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await clearSnapshots(db);
      await createUser(db, { accountId: 1, username: 'idle', password: 'idle-password', roles: ['reporter'] });
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const { insertRecording } = await import('../../src/recordings/repository.js');
      for (const [i, size] of [1000, 2500, 40].entries()) {
        await insertRecording(db, {
          account_id: 1,
          record_id: `r${i}`,
          room_id: i < 2 ? 'room-a' : 'room-b',
          room_sid: 's',
          room_title: '',
          file_path: `x/${i}`,
          file_size: size,
          creation_time: 1_760_000_000 + i,
          room_creation_time: 1_760_000_000,
          metadata: '{}',
          created_at: 0,
        });
      }
      const fresh = await call(server.url, 'GET', '/api/v1/statistics?refresh=true', { headers: rcHeaders(admin) });
      assert.equal(fresh.status, 200);
      assert.equal(fresh.body.success, true);
      assert.match(fresh.body._id, /^[0-9a-f]{24}$/);
      assert.deepEqual(
        [
          fresh.body.totalUsers,
          fresh.body.activeUsers,
          fresh.body.nonActiveUsers,
          fresh.body.onlineUsers,
          fresh.body.offlineUsers,
          fresh.body.totalRooms,
          fresh.body.totalRecordings,
          fresh.body.totalRecordingsSize,
          fresh.body.instanceCount,
        ],
        [2, 2, 0, 1, 1, 2, 3, 3540, 1],
      );
      assert.match(fresh.body.lastLogin, /^\d{4}-\d\d-\d\dT/);
      assert.equal(fresh.body.migration.locked, false);
      assert.equal(typeof fresh.body.os.totalmem, 'number');
      const latest = await call(server.url, 'GET', '/api/v1/statistics', { headers: rcHeaders(admin) });
      assert.equal(latest.body._id, fresh.body._id);
      const listed = await list(server.url, admin, {});
      assert.deepEqual(ids(listed.body), [fresh.body._id]);
      const { success: _success, ...stored } = fresh.body;
      assert.deepEqual(listed.body.statistics[0], stored);
    });

    test('statistics count reports, reads, alerts and images of every account, from per-channel totals kept with each write', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const bearerHeaders = { authorization: `Bearer ${admin.authToken}` };
      const post = (path: string, body: unknown) => call(server.url, 'POST', path, { headers: bearerHeaders, body });
      const other = (await post('/api/v4/accounts', { name: 'Other' })).body;
      const channels = [
        (await post('/api/v4/channels', { name: 'A' })).body,
        (await post('/api/v4/channels', { name: 'B', account_id: other.id })).body,
      ];
      const reports = [];
      for (const channel of [channels[0], channels[0], channels[1]])
        reports.push(
          (await post('/api/v4/reports', { channel_id: channel.id, created_at: '2026-05-01T10:00:00Z' })).body,
        );
      await post(`/api/v4/reports/${reports[0].id}/reads`, {});
      await post(`/api/v4/reports/${reports[2].id}/reads`, {});
      await post('/api/v4/alerts', { report_id: reports[1].id, user_ids: [Number(admin.userId)] });
      const png = Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
        'base64',
      );
      const image = await fetch(`${server.url}/api/v4/reports/${reports[2].id}/images`, {
        method: 'POST',
        headers: { ...bearerHeaders, 'content-type': 'image/png' },
        body: png,
      });
      assert.equal(image.status, 201);
      const imported = await call(server.url, 'POST', '/api/v4/import', {
        headers: { ...bearerHeaders, 'content-type': 'application/x-ndjson' },
        body: `${[0, 1, 2, 3].map((i) => JSON.stringify({ type: 'report', channel_id: channels[i % 2].id, created_at: '2026-05-02T10:00:00Z' })).join('\n')}\n`,
      });
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      const figures = async () => {
        const snapshot = (
          await call(server.url, 'GET', '/api/v1/statistics?refresh=true', { headers: rcHeaders(admin) })
        ).body;
        return [
          snapshot.totalReports,
          snapshot.totalReportReads,
          snapshot.totalAlerts,
          snapshot.totalReportImages,
          snapshot.totalReportImagesSize,
        ];
      };
      assert.deepEqual(await figures(), [7, 2, 1, 1, png.length]);
      // The same figures when the totals are rebuilt from the rows, and when migration 0011 fills them.
      const { rebuildReportCounts } = await import('../../src/reports/counts/rebuild-report-counts.js');
      await rebuildReportCounts(db);
      assert.deepEqual(await figures(), [7, 2, 1, 1, png.length]);
      await db.schema.dropTable('report_channel_totals').execute();
      await (await import('../../src/db/migrations/0011_report_channel_totals.js')).up(db as never, engine);
      assert.deepEqual(await figures(), [7, 2, 1, 1, png.length]);
    });

    test('two instances on one database with a short interval take one snapshot per interval; retention drops old ones', async (t) => {
      const scratch = await scratchDatabase(engine);
      const config = testConfig(scratch.url, scratch.dataDir, { RECAP_STATS_INTERVAL: '1s' });
      const first = await prepareDatabase(config);
      const second = await prepareDatabase(config);
      // One snapshot older than the retention (365 days): the first run drops it.
      await first.database.db
        .insertInto('statistics_snapshots')
        .values({ id: 'a'.repeat(24), created_at: Date.now() - 400 * 86_400_000, document: '{}' })
        .execute();
      const apps = [
        await buildApp({ config, database: first.database, logger: false }),
        await buildApp({ config, database: second.database, logger: false }),
      ];
      t.after(async () => {
        for (const app of apps) await app.close();
        await first.database.close();
        await second.database.close();
        await scratch.drop();
      });
      const started = Date.now();
      await Promise.all(apps.map((app) => app.ready()));
      await new Promise((r) => setTimeout(r, 3600));
      for (const app of apps) await app.close();
      const elapsed = Date.now() - started;
      const rows = await first.database.db
        .selectFrom('statistics_snapshots')
        .select(['id', 'created_at', 'document'])
        .orderBy('created_at')
        .execute();
      assert.ok(!rows.some((r) => r.id === 'a'.repeat(24)), 'retention');
      // One per interval: never two within 1 s of each other, and about elapsed/1s of them.
      for (let i = 1; i < rows.length; i++)
        assert.ok(
          rows[i]!.created_at - rows[i - 1]!.created_at >= 1000,
          `${rows[i - 1]!.created_at} → ${rows[i]!.created_at}`,
        );
      assert.ok(
        rows.length >= 3 && rows.length <= Math.ceil(elapsed / 1000),
        `${rows.length} snapshots in ${elapsed} ms`,
      );
      assert.equal((JSON.parse(rows.at(-1)!.document) as { instanceCount: number }).instanceCount, 2);
    });
  });
}
