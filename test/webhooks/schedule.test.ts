import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAccount } from '../../src/auth/service.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { connect } from '../../src/db/connection.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { nextAttemptAt, RETRY_WINDOW_MS } from '../../src/webhooks/delivery.js';
import { deleteOldDeliveries, insertDeliveries, pageDeliveries } from '../../src/webhooks/repository.js';
import { parseAllowedHosts } from '../../src/webhooks/target-guard.js';
import { ENGINES, scratchDatabase } from '../helpers/engines.js';

describe('webhook retry schedule', () => {
  test('delays double from the first retry delay up to an hour, and stop 24 h after the event', () => {
    const created = 1_000_000_000_000;
    const delays: number[] = [];
    let now = created;
    for (let attempts = 1; ; attempts++) {
      const next = nextAttemptAt({ created_at: created, attempts }, now, 10_000, 0.5);
      if (next === undefined) break;
      delays.push(next - now);
      now = next;
    }
    assert.deepEqual(delays.slice(0, 4), [10_000, 20_000, 40_000, 80_000]);
    assert.ok(delays.every((d) => d <= 3_600_000));
    assert.equal(now, created + RETRY_WINDOW_MS, 'the last try is at the end of the window');
    assert.ok(delays.length > 25 && delays.length < 40, `${delays.length} retries`);
    // Jitter stays within ±10 %.
    assert.equal(nextAttemptAt({ created_at: created, attempts: 1 }, created, 10_000, 0), created + 9000);
    assert.equal(nextAttemptAt({ created_at: created, attempts: 1 }, created, 10_000, 1), created + 11_000);
  });

  test('RECAP_WEBHOOK_ALLOWED_HOSTS takes host names, addresses and CIDR ranges, and refuses anything else', () => {
    const allowed = parseAllowedHosts(' hooks.internal ,10.1.0.0/16, ::1,[fd00::1], 192.168.1.5,Example.COM. ');
    assert.deepEqual([...allowed.names], ['hooks.internal', 'example.com']);
    assert.deepEqual(allowed.addresses, ['10.1.0.0/16', '::1', 'fd00::1', '192.168.1.5']);
    for (const bad of ['10.0.0.0/99', 'http://x', 'a b', '*.example.com'])
      assert.throws(() => parseAllowedHosts(bad), Error, bad);
    assert.throws(
      () => loadConfig({ RECAP_WEBHOOK_ALLOWED_HOSTS: 'host, 300.1.1.1/8' }),
      (e: unknown) => e instanceof ConfigError && /^RECAP_WEBHOOK_ALLOWED_HOSTS: /.test(e.message),
    );
  });
});

for (const engine of ENGINES) {
  describe(`webhook delivery log [${engine}]`, () => {
    test('finished deliveries older than the cut-off are deleted in batches; pending and recent ones stay', async (t) => {
      const scratch = await scratchDatabase(engine);
      const { db, close } = await connect(scratch.url);
      t.after(async () => {
        await close();
        await scratch.drop();
      });
      await migrateToLatest(db, { storageRoot: scratch.dataDir });
      await createAccount(db, 'Acme');
      const day = 86_400_000;
      const row = (i: number, state: 'pending' | 'delivered' | 'failed', createdAt: number) => ({
        account_id: 1,
        event_id: `e-${i}`,
        event: 'report_created',
        url: 'https://hooks.example/',
        host: 'hooks.example',
        body: '{}',
        state,
        next_attempt_at: createdAt,
        created_at: createdAt,
      });
      const now = 40 * day;
      const rows = [];
      for (let i = 0; i < 25; i++) rows.push(row(i, i % 2 ? 'delivered' : 'failed', now - 31 * day + i));
      rows.push(row(100, 'pending', now - 31 * day), row(101, 'delivered', now - 29 * day));
      await insertDeliveries(db, rows);
      let deleted = 0;
      for (let n; (n = await deleteOldDeliveries(db, now - 30 * day, 10)) > 0;) deleted += n;
      assert.equal(deleted, 25);
      const left = await pageDeliveries(db, { accountId: 1, before: undefined, limit: 50 });
      assert.deepEqual(left.map((r) => r.event_id).sort(), ['e-100', 'e-101']);
    });
  });
}
