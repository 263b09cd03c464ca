import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RestClient } from '@rocket.chat/api-client';
import { createUser } from '../../src/auth/service.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, startTestServer } from '../helpers/server.js';
import { clearSnapshots, dailyDocuments, storeSnapshots } from './fixtures.js';

type Loose = Record<string, unknown>;
/** The client's typings know Rocket.Chat's own endpoints; calls go through this untyped view. */
type LooseClient = {
  post(path: string, body: Loose): Promise<Loose>;
  get(path: string, params?: Loose): Promise<Loose>;
};

/** A non-2xx answer makes the client reject with the raw Response. */
async function rejection(promise: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await promise;
  } catch (error) {
    const response = error as Response;
    return { status: response.status, body: await response.json() };
  }
  throw new Error('expected the call to fail');
}

/** Drives a running server with @rocket.chat/api-client@0.2.57, unmodified, as its users do. */
for (const engine of ENGINES) {
  describe(`@rocket.chat/api-client@0.2.57 against Recap: statistics [${engine}]`, () => {
    test('login, statistics.list like the seed example, statistics?refresh=true, non-admin and anonymous answers', async (t) => {
      const server = await startTestServer(t, engine);
      const db = server.database.db;
      await clearSnapshots(db);
      const documents = dailyDocuments(8, (i) => ({
        os: { type: 'Linux' },
        migration: { version: 4, locked: false },
        deploy: { method: 'node' },
        process: { pid: i },
      }));
      await storeSnapshots(db, documents);

      const client = new RestClient({ baseUrl: server.url });
      const rest = client as unknown as LooseClient;
      const login = await rest.post('/v1/login', { user: ADMIN.username, password: ADMIN.password });
      const data = login.data as { userId: string; authToken: string };
      client.setCredentials({ 'X-User-Id': data.userId, 'X-Auth-Token': data.authToken });

      // The seed's curl example: query by _id, fields excluding os, migration, deploy, process.
      const target = documents[5]!;
      const seed = await rest.get('/v1/statistics.list', {
        query: JSON.stringify({ _id: target._id }),
        fields: JSON.stringify({ os: 0, migration: 0, deploy: 0, process: 0 }),
      });
      assert.deepEqual(seed, {
        statistics: [{ _id: target._id, createdAt: target.createdAt, _updatedAt: target._updatedAt, totalUsers: 5 }],
        count: 1,
        offset: 0,
        total: 1,
        success: true,
      });

      // offset, count, sort, fields and a createdAt range query together.
      const page = await rest.get('/v1/statistics.list', {
        offset: 1,
        count: 2,
        sort: JSON.stringify({ createdAt: -1 }),
        fields: JSON.stringify({ totalUsers: 1, createdAt: 1 }),
        query: JSON.stringify({
          createdAt: { $gte: { $date: documents[2]!.createdAt }, $lt: { $date: documents[7]!.createdAt } },
        }),
      });
      assert.deepEqual(page, {
        statistics: [5, 4].map((i) => ({ _id: documents[i]!._id, createdAt: documents[i]!.createdAt, totalUsers: i })),
        count: 2,
        offset: 1,
        total: 5,
        success: true,
      });

      const refreshed = await rest.get('/v1/statistics', { refresh: 'true' });
      assert.equal(refreshed.success, true);
      assert.equal(refreshed.totalUsers, 1);
      assert.match(String(refreshed._id), /^[0-9a-f]{24}$/);
      assert.equal((await rest.get('/v1/statistics.list', { count: 0 })).total, 9);

      await createUser(db, { accountId: 1, username: 'reporter1', password: 'reporter-password', roles: ['reporter'] });
      const other = new RestClient({ baseUrl: server.url });
      const otherLogin = await (other as unknown as LooseClient).post('/v1/login', {
        user: 'reporter1',
        password: 'reporter-password',
      });
      const otherData = otherLogin.data as { userId: string; authToken: string };
      other.setCredentials({ 'X-User-Id': otherData.userId, 'X-Auth-Token': otherData.authToken });
      assert.deepEqual(await rejection((other as unknown as LooseClient).get('/v1/statistics.list', {})), {
        status: 400,
        body: { success: false, error: 'error-not-allowed' },
      });

      const anonymous = new RestClient({ baseUrl: server.url }) as unknown as LooseClient;
      assert.deepEqual(await rejection(anonymous.get('/v1/statistics.list', {})), {
        status: 401,
        body: {
          success: false,
          error: 'You must be logged in to do this.',
          status: 'error',
          message: 'You must be logged in to do this.',
        },
      });
    });
  });
}
