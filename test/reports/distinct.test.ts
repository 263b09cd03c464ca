import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { createUser } from '../../src/auth/service.js';
import { rebuildReportCounts } from '../../src/reports/counts/rebuild-report-counts.js';
import { Rand } from '../../src/shared/random.js';
import type { Engine } from '../../src/db/connection.js';
import { ENGINES } from '../helpers/engines.js';
import { bearer, call, loginAs, startTestServer } from '../helpers/server.js';
import { distinctStructures } from './distinct-structures.js';

const DAY = 86_400_000;
const START = Date.UTC(2025, 5, 1);
const SPAN = 60 * DAY;

interface Read {
  report: number;
  user: number;
  at: number;
}
interface Delivery {
  alert: number;
  report: number;
  user: number;
  at: number;
}

/** reports_read by brute force over the reads written. */
function expectedReads(reads: readonly Read[], from: number, to: number) {
  const inWindow = reads.filter((r) => r.at >= from && r.at < to);
  return {
    total_reads: inWindow.length,
    unique_reads: new Set(inWindow.map((r) => `${r.user}:${r.report}`)).size,
    report_readers: new Set(inWindow.map((r) => r.user)).size,
    reports_seen: new Set(inWindow.map((r) => r.report)).size,
  };
}

/** user_awareness by brute force: per user with a delivery in the window, in user order. */
function expectedAwareness(deliveries: readonly Delivery[], opened: Set<string>, from: number, to: number) {
  const byUser = new Map<number, Delivery[]>();
  for (const d of deliveries.filter((d) => d.at >= from && d.at < to))
    byUser.set(d.user, [...(byUser.get(d.user) ?? []), d]);
  return [...byUser]
    .sort((a, b) => a[0] - b[0])
    .map(([user, list]) => ({
      user_id: user,
      total_alerts: list.length,
      unique_alerts: new Set(list.map((d) => d.alert)).size,
      alert_source_reports: new Set(list.map((d) => d.report)).size,
      alerts_opened: new Set(list.filter((d) => opened.has(`${d.alert}:${user}`)).map((d) => d.alert)).size,
    }));
}

/** A server, a signed-in manager of account 1 who posts (asserting success), and `n` reporters. */
async function accountWithReporters(t: TestContext, engine: Engine, n: number) {
  const server = await startTestServer(t, engine);
  const db = server.database.db;
  await createUser(db, { accountId: 1, username: 'manager1', password: 'manager1-password', roles: ['manager'] });
  const headers = bearer(await loginAs(server.url, 'manager1', 'manager1-password'));
  const post = async (path: string, body: unknown) => {
    const answer = await call(server.url, 'POST', path, { headers, body });
    assert.ok(answer.status < 300, `${path}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const users: number[] = [];
  for (let i = 0; i < n; i++)
    users.push((await createUser(db, { accountId: 1, username: `u${i}`, roles: ['reporter'] })).id);
  return { server, db, headers, post, users };
}

for (const engine of ENGINES) {
  describe(`reports_read and user_awareness: exact distinct counts [${engine}]`, () => {
    test('reads, deliveries and opens written in any order, with ties: every window equals brute force, and the kept links and cells equal a rebuild', async (t) => {
      const { server, db, headers, post, users } = await accountWithReporters(t, engine, 6);
      const random = new Rand(20261201);
      /** An integer in [lo, hi]. */
      const between = (lo: number, hi: number) => lo + random.int(hi - lo + 1);
      const channels = [
        (await post('/api/v4/channels', { name: 'A' })).id,
        (await post('/api/v4/channels', { name: 'B' })).id,
      ];
      const reports: { id: number; channel: number }[] = [];
      for (let i = 0; i < 24; i++) {
        const channel = channels[i % 5 === 0 ? 1 : 0]!;
        const created = START + between(0, SPAN - 1);
        reports.push({
          channel,
          id: (await post('/api/v4/reports', { channel_id: channel, created_at: new Date(created).toISOString() })).id,
        });
      }
      const reads: (Read & { channel: number })[] = [];
      const deliveries: (Delivery & { channel: number })[] = [];
      const opened = new Set<string>();
      const alerts: { id: number; report: number; channel: number }[] = [];
      const pick = <T>(list: readonly T[]) => random.pick(list);
      // Times repeat on purpose (ties) and go back and forth (writes out of order).
      const times: number[] = [];
      const time = () => {
        if (times.length > 0 && between(0, 9) === 0) return pick(times);
        const at = START + between(0, SPAN - 1);
        times.push(at);
        return at;
      };
      for (let step = 0; step < 260; step++) {
        const kind = between(0, 9);
        if (kind < 6) {
          const report = pick(reports);
          const read = { report: report.id, channel: report.channel, user: pick(users), at: time() };
          await post(`/api/v4/reports/${report.id}/reads`, {
            user_id: read.user,
            read_at: new Date(read.at).toISOString(),
          });
          reads.push(read);
        } else if (kind < 8 || alerts.length === 0) {
          const report = pick(reports);
          const to = [...new Set([pick(users), pick(users), pick(users)])];
          const at = time();
          const alert = await post('/api/v4/alerts', {
            report_id: report.id,
            user_ids: to,
            sent_at: new Date(at).toISOString(),
          });
          alerts.push({ id: alert.id, report: report.id, channel: report.channel });
          for (const user of to)
            deliveries.push({ alert: alert.id, report: report.id, channel: report.channel, user, at });
        } else if (kind === 8) {
          const alert = pick(alerts);
          const to = [...new Set([pick(users), pick(users)])];
          const at = time();
          await post(`/api/v4/alerts/${alert.id}/deliveries`, { user_ids: to, sent_at: new Date(at).toISOString() });
          for (const user of to)
            deliveries.push({ alert: alert.id, report: alert.report, channel: alert.channel, user, at });
        } else {
          const alert = pick(alerts);
          const user = pick(users);
          await post(`/api/v4/alerts/${alert.id}/open`, { user_id: user });
          opened.add(`${alert.id}:${user}`);
        }
      }

      const get = async (name: string, channel: number, from: number, to: number, fields: string) => {
        const search = new URLSearchParams({
          channel_id: String(channel),
          start_date: new Date(from).toISOString(),
          end_date: new Date(to).toISOString(),
          fields,
        });
        const answer = await call(server.url, 'GET', `/api/v4/analytics/${name}?${search}`, { headers });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return answer.body;
      };
      const checkWindows = async (label: string) => {
        // Windows of every kind: inside one day, across a day boundary, whole days, unaligned, all.
        const windows: [number, number][] = [[START - DAY, START + SPAN + DAY]];
        for (const t of times.slice(0, 6))
          windows.push(
            [t, t + 1],
            [t - 3_600_000, t + DAY + 1],
            [Math.floor(t / DAY) * DAY, Math.floor(t / DAY) * DAY + 7 * DAY],
          );
        for (let i = 0; i < 14; i++) {
          const from = START - DAY + between(0, SPAN);
          windows.push([from, from + between(1, [3_600_000, 2 * DAY, 20 * DAY, SPAN][i % 4]!)]);
        }
        for (const channel of channels)
          for (const [from, to] of windows) {
            const at = `${label}, channel ${channel}, ${new Date(from).toISOString()} … ${new Date(to).toISOString()}`;
            assert.deepEqual(
              await get('reports_read', channel, from, to, 'total_reads,unique_reads,report_readers,reports_seen'),
              expectedReads(
                reads.filter((r) => r.channel === channel),
                from,
                to,
              ),
              at,
            );
            const awareness = await get(
              'user_awareness',
              channel,
              from,
              to,
              'total_alerts,unique_alerts,alert_source_reports,alerts_opened',
            );
            assert.deepEqual(
              awareness.map(({ first_name: _f, last_name: _l, ...counts }: Record<string, unknown>) => counts),
              expectedAwareness(
                deliveries.filter((d) => d.channel === channel),
                opened,
                from,
                to,
              ),
              at,
            );
          }
      };
      await checkWindows('kept with each write');
      const kept = await distinctStructures(db);
      await rebuildReportCounts(db);
      assert.deepEqual(kept, await distinctStructures(db), 'the kept links and cells equal a rebuild');
      await checkWindows('after a rebuild');
    });

    test('concurrent writers of one channel (reports, reads, alerts, deliveries, opens at once) leave the links, cells and count maps a rebuild makes', async (t) => {
      const { db, post, users } = await accountWithReporters(t, engine, 4);
      const random = new Rand(7);
      const channel = (await post('/api/v4/channels', { name: 'Busy' })).id;
      const reports: number[] = [];
      for (let i = 0; i < 6; i++) reports.push((await post('/api/v4/reports', { channel_id: channel })).id);
      const alerts: number[] = [];
      for (let i = 0; i < 3; i++)
        alerts.push(
          (await post('/api/v4/alerts', { report_id: random.pick(reports), user_ids: users.slice(0, 2) })).id,
        );
      const at = () => new Date(START + random.int(5) * DAY + random.int(3) * 1000).toISOString();
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 60; i++) {
        const kind = random.int(5);
        if (kind === 4)
          writes.push(post('/api/v4/reports', { channel_id: channel, created_at: at(), user_id: random.pick(users) }));
        else if (kind < 2)
          writes.push(
            post(`/api/v4/reports/${random.pick(reports)}/reads`, { user_id: random.pick(users), read_at: at() }),
          );
        else if (kind === 2)
          writes.push(
            post(`/api/v4/alerts/${random.pick(alerts)}/deliveries`, { user_ids: [random.pick(users)], sent_at: at() }),
          );
        else writes.push(post(`/api/v4/alerts/${random.pick(alerts)}/open`, { user_id: random.pick(users) }));
      }
      await Promise.all(writes);
      const kept = await distinctStructures(db);
      await rebuildReportCounts(db);
      assert.deepEqual(
        kept,
        await distinctStructures(db),
        'links and cells kept under concurrent writes equal a rebuild',
      );
    });
  });
}
