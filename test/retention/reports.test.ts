import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import sharp from 'sharp';
import { createAccount, createUser } from '../../src/auth/service.js';
import type { Database } from '../../src/db/schema.js';
import { rebuildReportCounts } from '../../src/reports/counts/rebuild-report-counts.js';
import { runJanitor } from '../../src/retention/janitor.js';
import { Rand } from '../../src/shared/random.js';
import type { RetentionDays } from '../../src/retention/settings.js';
import { ENGINES } from '../helpers/engines.js';
import { distinctStructures } from '../reports/distinct-structures.js';
import { bearer, call, loginAs, startTestServer, type TestServer } from '../helpers/server.js';

const DAY = 86_400_000;
const NONE: RetentionDays = { room_events: 0, analytics_files: 0, recordings: 0, reports: 0 };

const COUNT_TABLES = {
  report_counts: 'channel_id, level, bucket',
  report_state_counts: 'channel_id, state_id, level, bucket',
  report_user_counts: 'channel_id, user_id, level, bucket',
  report_option_counts: 'field_id, option_id, level, bucket',
} as const;

/** Every pre-aggregated row, in key order (channel totals without all-zero rows: a recount makes one per channel). */
async function aggregates(db: Kysely<Database>) {
  const tables: Record<string, unknown[]> = {};
  for (const [table, key] of Object.entries(COUNT_TABLES)) {
    const { rows } = await sql.raw(`select ${key}, total from ${table} order by ${key}`).execute(db);
    tables[table] = rows.map((row) => Object.values(row as object).map(Number));
  }
  const { rows } = await sql
    .raw(
      'select channel_id, reports, reads, alerts, images, image_bytes from report_channel_totals where reports + reads + alerts + images + image_bytes <> 0 order by channel_id',
    )
    .execute(db);
  tables.report_channel_totals = rows.map((row) => Object.values(row as object).map(Number));
  return { ...tables, ...(await distinctStructures(db)) };
}

/** The kept aggregates equal a recount from the raw rows that remain. */
async function assertEqualToRecount(db: Kysely<Database>, when: string) {
  const kept = await aggregates(db);
  await rebuildReportCounts(db);
  const recounted = await aggregates(db);
  for (const table of Object.keys(recounted))
    assert.deepEqual(kept[table], recounted[table], `${table} differs from a recount ${when}`);
}

async function setup(t: Parameters<typeof startTestServer>[0], engine: (typeof ENGINES)[number]) {
  const server = await startTestServer(t, engine);
  const db = server.database.db;
  const other = await createAccount(db, 'Other org');
  const accounts = [];
  for (const accountId of [1, other.id]) {
    const user = (name: string, roles: ('manager' | 'reporter')[]) =>
      createUser(db, { accountId, username: `${name}${accountId}`, password: `${name}-password`, roles });
    const manager = await user('manager', ['manager']);
    const reporters = [await user('ann', ['reporter']), await user('bob', ['reporter'])];
    const session = bearer(await loginAs(server.url, manager.username, 'manager-password'));
    const post = async (path: string, body: unknown) => {
      const answer = await call(server.url, 'POST', path, { headers: session, body });
      assert.ok(answer.status < 300, `${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    };
    const channels = [
      await post('/api/v4/channels', { name: 'North' }),
      await post('/api/v4/channels', { name: 'South' }),
    ];
    const states = [await post('/api/v4/states', { name: 'Open' }), await post('/api/v4/states', { name: 'Done' })];
    const forms = [];
    for (const channel of channels)
      forms.push(
        await post('/api/v4/forms', {
          channel_id: channel.id,
          name: 'Inspection',
          fields: [
            {
              name: 'Risk',
              field_type: 'DropDown',
              options: ['low', 'mid', 'high'].map((v) => ({ name: v, value: v })),
            },
            {
              name: 'Seen',
              field_type: 'Checkbox',
              options: ['smoke', 'water', 'noise'].map((v) => ({ name: v, value: v })),
            },
          ],
        }),
      );
    accounts.push({ accountId, session, post, channels, states, forms, users: [manager, ...reporters] });
  }
  return { server, db, accounts };
}

type Account = Awaited<ReturnType<typeof setup>>['accounts'][number];

/** Reports over the last 400 days with reads, alerts, opens, state changes and a few images. */
async function addTraffic(server: TestServer, account: Account, rand: Rand, n: number) {
  const pick = <T>(items: readonly T[]) => rand.pick(items);
  const random = () => rand.int(1_000_000) / 1_000_000;
  const now = Date.now();
  const reports = [];
  for (let i = 0; i < n; i++) {
    const c = Math.floor(random() * account.channels.length);
    const [risk, seen] = account.forms[c].fields;
    const values: Record<string, unknown> = {};
    if (random() < 0.8) values[risk.id] = pick(risk.options as { value: string }[]).value;
    if (random() < 0.6)
      values[seen.id] = (seen.options as { value: string }[]).filter(() => random() < 0.5).map((o) => o.value);
    reports.push(
      await account.post('/api/v4/reports', {
        channel_id: account.channels[c].id,
        form_id: account.forms[c].id,
        user_id: pick(account.users).id,
        created_at: new Date(now - Math.floor(random() * 400 * DAY)).toISOString(),
        ...(random() < 0.7 ? { state_id: pick(account.states).id } : {}),
        values,
      }),
    );
  }
  for (const report of reports) {
    if (random() < 0.6) await account.post(`/api/v4/reports/${report.id}/reads`, { user_id: pick(account.users).id });
    if (random() < 0.2) {
      const alert = await account.post('/api/v4/alerts', {
        report_id: report.id,
        user_ids: account.users.map((u) => u.id),
      });
      if (random() < 0.5) await account.post(`/api/v4/alerts/${alert.id}/open`, { user_id: account.users[1]!.id });
    }
    if (random() < 0.15) {
      const answer = await call(server.url, 'PATCH', `/api/v4/reports/${report.id}`, {
        headers: account.session,
        body: { state_id: random() < 0.3 ? null : pick(account.states).id },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
  }
  for (const report of reports.slice(0, 2)) {
    const png = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    const response = await fetch(`${server.url}/api/v4/reports/${report.id}/images`, {
      method: 'POST',
      headers: { ...account.session, 'content-type': 'image/png' },
      body: png,
    });
    assert.equal(response.status, 201, await response.text());
  }
  return reports;
}

const oldestReport = async (db: Kysely<Database>, accountId: number) =>
  Number(
    (
      await db
        .selectFrom('reports')
        .select((eb) => eb.fn.min('created_at').as('t'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow()
    ).t,
  );

for (const engine of ENGINES) {
  describe(`report retention [${engine}]`, () => {
    test(
      'round after round of traffic and shrinking retention (two janitors racing): counts equal a recount, nothing of another account goes',
      { timeout: 240_000 },
      async (t) => {
        const { server, db, accounts } = await setup(t, engine);
        const [mine, theirs] = accounts as [Account, Account];
        const random = new Rand(20261201);
        await addTraffic(server, theirs, random, 40);
        const theirsBefore = await aggregates(db);
        const theirCount = async () =>
          Number(
            (
              await db
                .selectFrom('reports')
                .select((eb) => eb.fn.countAll().as('n'))
                .where('account_id', '=', theirs.accountId)
                .executeTakeFirstOrThrow()
            ).n,
          );
        const theirReports = await theirCount();

        let deleted = 0;
        for (const days of [380, 300, 200, 90, 30]) {
          await addTraffic(server, mine, random, 60);
          const put = await call(server.url, 'PUT', '/api/v4/retention', {
            headers: mine.session,
            body: { reports: days },
          });
          assert.equal(put.status, 200, JSON.stringify(put.body));
          assert.equal(put.body.effective.reports, days);
          const images = (
            await db
              .selectFrom('report_images')
              .select(['path', 'report_created_at'])
              .where('account_id', '=', mine.accountId)
              .execute()
          ).filter((image) => image.report_created_at < Date.now() - days * DAY);
          // Two janitors at once (instances sharing the database): each row is uncounted once.
          const options = { retentionDays: NONE, trashDays: 0, statsRetentionDays: 365, batchSize: 7, pauseMs: 0 };
          const runs = await Promise.all([
            runJanitor(db, server.app.storage, options),
            runJanitor(db, server.app.storage, options),
          ]);
          deleted += runs[0].reports + runs[1].reports;
          assert.ok((await oldestReport(db, mine.accountId)) >= Date.now() - days * DAY - 60_000);
          for (const image of images)
            assert.equal(existsSync(join(server.config.storageRoot, image.path)), false, image.path);
          await assertEqualToRecount(db, `after retention of ${days} days`);
        }
        assert.ok(deleted > 100, `only ${deleted} reports expired`);
        assert.equal(await theirCount(), theirReports);
        // The other account's aggregates (its channels and fields) are untouched.
        const theirChannels = new Set(theirs.channels.map((c: { id: number }) => c.id));
        const theirFields = new Set(
          theirs.forms.flatMap((f: { fields: { id: number }[] }) => f.fields.map((x) => x.id)),
        );
        const after = await aggregates(db);
        for (const table of Object.keys(after)) {
          const own = (rows: unknown[]) =>
            (rows as number[][]).filter((row) =>
              table === 'report_option_counts' ? theirFields.has(row[0]!) : theirChannels.has(row[0]!),
            );
          assert.deepEqual(own(after[table]!), own(theirsBefore[table]!), table);
        }

        // The analytics answer what remains.
        const channel = mine.channels[0];
        const since = new Date(Date.now() - 401 * DAY).toISOString();
        const answer = await call(
          server.url,
          'GET',
          `/api/v4/analytics/reports_over_time?channel_id=${channel.id}&start_date=${since}&end_date=${new Date(Date.now() + DAY).toISOString()}`,
          { headers: mine.session },
        );
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const left = await db
          .selectFrom('reports')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('channel_id', '=', channel.id)
          .executeTakeFirstOrThrow();
        const total = (answer.body as { report_count: number }[]).reduce((sum, row) => sum + row.report_count, 0);
        assert.equal(total, Number(left.n));
      },
    );
  });
}
