import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { addDays, startOfDay } from '../../console/src/time.js';
import { createUser } from '../../src/auth/service.js';
import { hasChromium, launchBrowser, watchedPage, CHROMIUM } from '../helpers/browser.js';
import { ADMIN, bearer, call, loginAs, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The console in Debian's Chromium: sign in through the form, read a channel's dashboard, check
 * its figures against the API for the same window and zone, move the zone, download a CSV, and see
 * what an analyst and a reporter may see. Any script error, CSP violation or request to another
 * host fails the test. Screenshots go to .tmp/screenshots/.
 */
const SHOTS = '.tmp/screenshots';
const DAY = 86_400_000;

async function seed(server: TestServer) {
  const db = server.database.db;
  for (const [username, roles] of [
    ['ana', ['analyst']],
    ['rex', ['reporter']],
  ] as const)
    await createUser(db, {
      accountId: 1,
      username,
      password: `${username}-password`,
      firstName: username.toUpperCase(),
      lastName: 'Test',
      roles: [...roles],
    });
  const headers = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
  const post = async (path: string, body: unknown, extra: Record<string, string> = {}) => {
    const answer = await call(server.url, 'POST', path, { headers: { ...headers, ...extra }, body });
    assert.ok(answer.status < 300, `${path}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const channel = await post('/api/v4/channels', { name: 'Field team' });
  const open = await post('/api/v4/states', { name: 'Open' });
  const done = await post('/api/v4/states', { name: 'Resolved' });
  const form = await post('/api/v4/forms', {
    channel_id: channel.id,
    name: 'Incident',
    fields: [{ name: 'Severity', field_type: 'Radio', options: [{ name: 'Low' }, { name: 'High' }] }],
  });
  const severity = form.fields[0];
  const now = Date.now();
  for (let i = 0; i < 60; i++) {
    const report = await post('/api/v4/reports', {
      channel_id: channel.id,
      form_id: form.id,
      user_id: 1 + (i % 3),
      state_id: i % 3 ? open.id : done.id,
      created_at: new Date(now - (i % 40) * DAY - (i % 24) * 3_600_000).toISOString(),
      values: { [severity.id]: severity.options[i % 2].value },
    });
    if (i % 4 === 0) await post(`/api/v4/reports/${report.id}/reads`, { user_id: 2 });
    if (i % 10 === 0) {
      const alert = await post('/api/v4/alerts', { report_id: report.id, user_ids: [2, 3] });
      await post(`/api/v4/alerts/${alert.id}/open`, { user_id: 2 });
    }
    if (i === 0) {
      const image = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#3a7' } })
        .jpeg()
        .toBuffer();
      const uploaded = await fetch(`${server.url}/api/v4/reports/${report.id}/images`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'image/jpeg' },
        body: new Uint8Array(image),
      });
      assert.equal(uploaded.status, 201);
    }
  }
  return { channel, headers };
}

describe('console in Chromium', { skip: !hasChromium && `no Chromium at ${CHROMIUM}` }, () => {
  test('sign in, channels, a dashboard whose figures equal the API’s, time zones, CSV, roles, phone width', async (t) => {
    const server = await startTestServer(t, 'sqlite');
    const { channel, headers } = await seed(server);
    const browser = await launchBrowser(t);
    const { page, problems } = await watchedPage(browser, server.url);
    mkdirSync(SHOTS, { recursive: true });

    const root = await page.goto(`${server.url}/`);
    assert.equal(root!.status(), 200);
    assert.match(root!.headers()['content-security-policy']!, /script-src 'self'/);
    assert.equal(new URL(page.url()).pathname, '/console/');
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Field team' }).waitFor();
    assert.equal(await page.evaluate('document.cookie'), '', 'the session cookie is not readable by scripts');
    const last30 = (await call(server.url, 'GET', '/api/v4/channels', { headers })).body.items[0].reports_last_30_days;
    assert.equal(await page.locator('td.num').first().textContent(), String(last30));
    await page.screenshot({ path: `${SHOTS}/channels-desktop.png` });

    await page.getByRole('link', { name: 'Field team' }).click();
    await page.waitForURL(/start=.*end=.*tz=/);
    const ready = async () => {
      await page
        .locator('section.panel[data-state="loading"]')
        .first()
        .waitFor({ state: 'detached' })
        .catch(() => undefined);
      await page.waitForFunction(() => {
        const dom = globalThis as any;
        return dom.document.querySelectorAll('section.panel[data-state="loading"]').length === 0;
      });
      await page.waitForFunction(() => {
        const dom = globalThis as any;
        return dom.document.querySelectorAll('.chart[data-drawn]').length >= 3;
      });
    };
    await ready();
    await page.screenshot({ path: `${SHOTS}/dashboard-desktop.png`, fullPage: true });

    // The window the page shows, from its URL, asked of the API directly.
    const windowOf = async () => {
      const q = new URL(page.url()).searchParams;
      return { start: q.get('start')!, end: q.get('end')!, tz: q.get('tz')! };
    };
    const apiWindow = async () => {
      const w = await windowOf();
      const start = startOfDay(w.start, w.tz);
      const end = startOfDay(addDays(w.end, 1), w.tz);
      // The page's local midnights, checked independently: each is 00:00 of its date in the zone.
      for (const [instant, date] of [
        [start, w.start],
        [end, addDays(w.end, 1)],
      ] as const)
        assert.equal(
          new Intl.DateTimeFormat('sv-SE', { timeZone: w.tz, dateStyle: 'short', timeStyle: 'medium' }).format(instant),
          `${date} 00:00:00`,
        );
      const iso = (ms: number) => new Date(ms).toISOString();
      return `channel_id=${channel.id}&start_date=${iso(start)}&end_date=${iso(end)}&time_zone=${encodeURIComponent(w.tz)}`;
    };
    const tile = (label: string) =>
      page.getByRole('group', { name: label }).locator('.tile-value').getAttribute('data-value');
    const q = await apiWindow();
    const overTime = (await call(server.url, 'GET', `/api/v4/analytics/reports_over_time?${q}`, { headers })).body;
    assert.equal(
      Number(await tile('Reports')),
      overTime.reduce((n: number, r: { report_count: number }) => n + r.report_count, 0),
    );
    const read = (
      await call(server.url, 'GET', `/api/v4/analytics/reports_read?${q}&fields=total_reads,report_readers`, {
        headers,
      })
    ).body;
    assert.equal(Number(await tile('Reads')), read.total_reads);
    assert.equal(Number(await tile('Readers')), read.report_readers);
    const aware = (
      await call(server.url, 'GET', `/api/v4/analytics/user_awareness?${q}&fields=total_alerts`, { headers })
    ).body;
    assert.equal(
      Number(await tile('Alerts delivered')),
      aware.reduce((n: number, r: { total_alerts: number }) => n + r.total_alerts, 0),
    );
    const states = (await call(server.url, 'GET', `/api/v4/analytics/reports_per_state?${q}`, { headers })).body;
    for (const s of states)
      assert.equal(
        await page
          .locator('section[aria-labelledby="panel-per-state"] tr', { hasText: s.name })
          .locator('td.num')
          .textContent(),
        String(s.report_count),
      );

    // CSV: the per-state panel's file is the API's CSV twin.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSV of Per state' }).click(),
    ]);
    const downloaded = readFileSync((await download.path())!, 'utf8');
    const expected = await (
      await fetch(`${server.url}/api/v4/analytics/reports_per_state?${q}&format=csv`, { headers })
    ).text();
    assert.equal(downloaded, expected);

    // Per hour as drawn equals the API's for the window's zone; another zone moves the buckets.
    const drawnHours = async () =>
      JSON.parse((await page.getByRole('img', { name: 'Reports per hour of day' }).getAttribute('data-values'))!);
    const hoursOf = (rows: { hour: number; report_count: number }[]) =>
      Array.from({ length: 24 }, (_, h) => rows.find((r) => r.hour === h)?.report_count ?? 0);
    const utcHours = (await call(server.url, 'GET', `/api/v4/analytics/reports_per_day_hour?${q}`, { headers })).body;
    assert.deepEqual(await drawnHours(), hoursOf(utcHours));
    // Another zone: the URL says it and the hours follow the API's for that zone.
    await page.getByLabel('Time zone', { exact: true }).selectOption('Australia/Adelaide');
    await page.waitForURL(/tz=Australia%2FAdelaide/);
    await ready();
    const perHour = (
      await call(server.url, 'GET', `/api/v4/analytics/reports_per_day_hour?${await apiWindow()}`, { headers })
    ).body;
    assert.deepEqual(await drawnHours(), hoursOf(perHour));
    assert.notDeepEqual(hoursOf(perHour), hoursOf(utcHours));
    assert.equal(
      (await windowOf()).end,
      new Intl.DateTimeFormat('sv-SE', { timeZone: 'Australia/Adelaide' }).format(new Date()),
    );
    assert.equal(new URL(page.url()).searchParams.get('tz'), 'Australia/Adelaide');

    // Phone width: no horizontal scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    await ready();
    assert.ok(
      Number(await page.evaluate('document.documentElement.scrollWidth')) <= 390,
      'no horizontal scroll at 390 px',
    );
    await page.screenshot({ path: `${SHOTS}/dashboard-phone.png`, fullPage: true });
    assert.deepEqual(problems, []);

    // An analyst sees the same; a reporter is told the page is not for their role.
    for (const [username, sees] of [
      ['ana', true],
      ['rex', false],
    ] as const) {
      const other = await watchedPage(browser, server.url);
      await other.page.goto(`${server.url}/console/reports/${channel.id}`);
      await other.page.getByLabel('Username').fill(username);
      await other.page.getByLabel('Password').fill(`${username}-password`);
      await other.page.getByRole('button', { name: 'Sign in' }).click();
      if (sees) await other.page.getByRole('group', { name: 'Reports' }).waitFor();
      else await other.page.getByText('Your role does not include reading analytics').waitFor();
      assert.deepEqual(other.problems, [], username);
      await other.context.close();
    }
  });
});
