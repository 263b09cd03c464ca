import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { runDemo } from '../../src/demo/index.js';
import { hasChromium, launchBrowser, watchedPage, CHROMIUM } from '../helpers/browser.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/**
 * The demo, then every console page in Chromium: channels, a dashboard, recordings (play, seek with
 * a 206, a subtitle track), a session file, statistics; a reporter and an analyst see what their
 * role allows. Screenshots of each page at desktop and phone widths go to .tmp/screenshots/.
 */
const SHOTS = '.tmp/screenshots';
const PASSWORD = 'demo-password-1';

async function signIn(page: Page, url: string, username: string, password: string) {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function shoot(page: Page, name: string) {
  for (const [label, width, height] of [
    ['desktop', 1280, 900],
    ['phone', 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    if (width === 390) {
      // Charts follow their container through a ResizeObserver: give them a moment to shrink.
      const fits = await page
        .waitForFunction(() => (globalThis as any).document.documentElement.scrollWidth <= 390, undefined, {
          timeout: 5000,
        })
        .then(
          () => true,
          () => false,
        );
      if (!fits) {
        // Which element sticks out, for the failure message.
        const widest = await page.evaluate(
          "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 390).slice(-3).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')",
        );
        await page.screenshot({ path: `${SHOTS}/${name}-phone-overflow.png`, fullPage: true });
        assert.fail(`${name}: horizontal scroll at 390 px (${widest})`);
      }
    } else await page.waitForTimeout(150);
    await page.screenshot({ path: `${SHOTS}/${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('console pages over the demo, in Chromium', { skip: !hasChromium && `no Chromium at ${CHROMIUM}` }, () => {
  test('recordings play and seek with subtitles, sessions, statistics, and what each role sees', async (t) => {
    const server = await startTestServer(t, 'sqlite');
    const demo = await runDemo(server.database.db, server.app.storage, { size: 0.1, force: false, password: PASSWORD });
    assert.deepEqual(
      demo.accounts.map((a) => a.id),
      [1, 2],
    );
    const headers = bearer(await loginAs(server.url, ADMIN.username, ADMIN.password));
    mkdirSync(SHOTS, { recursive: true });
    const browser = await launchBrowser(t);
    const { page, problems } = await watchedPage(browser, server.url);
    const ranges: number[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/file')) ranges.push(response.status());
    });

    await signIn(page, `${server.url}/console/`, ADMIN.username, ADMIN.password);
    await page.getByRole('link', { name: 'Field inspections' }).waitFor();
    await shoot(page, 'channels');
    await page.getByRole('link', { name: 'Field inspections' }).click();
    await page.waitForFunction(() => {
      const dom = globalThis as any;
      return dom.document.querySelectorAll('.chart[data-drawn]').length >= 3;
    });
    await page.waitForFunction(() => {
      const dom = globalThis as any;
      return dom.document.querySelectorAll('section.panel[data-state="loading"]').length === 0;
    });
    await shoot(page, 'dashboard');

    // Recordings: rooms → a room → a recording that plays, seeks (206) and shows its subtitles.
    await page.getByRole('link', { name: 'Recordings', exact: true }).click();
    const rooms = (await call(server.url, 'GET', '/api/v4/recording-rooms', { headers })).body;
    assert.equal(rooms.total, 4);
    await page.getByRole('link', { name: rooms.items[0].room_id }).click();
    await page.locator('tbody a').first().waitFor();
    await shoot(page, 'recordings-room');
    await page.locator('tbody a').first().click();
    const video = page.locator('video');
    await video.waitFor();
    await page.waitForFunction(() => {
      const dom = globalThis as any;
      return dom.document.querySelector('video').readyState >= 1;
    });
    await page.evaluate("document.querySelector('video').currentTime = 2.5");
    await page.waitForFunction(() => {
      const video = (globalThis as any).document.querySelector('video');
      return video.currentTime >= 2 && !video.seeking;
    });
    assert.ok(ranges.includes(206), `a ranged answer (statuses ${ranges.join(',')})`);
    assert.deepEqual(await page.evaluate("[...document.querySelectorAll('track')].map((t) => t.srclang)"), [
      'en',
      'de',
    ]);
    await page.evaluate("document.querySelector('video').textTracks[0].mode = 'showing'");
    await page.waitForFunction(() => {
      const dom = globalThis as any;
      return dom.document.querySelector('track').readyState === 2;
    });
    assert.ok(
      Number(await page.evaluate("document.querySelector('video').textTracks[0].cues.length")) >= 2,
      'subtitle cues loaded',
    );
    await shoot(page, 'recording');

    // Edit the title, then delete after the confirmation: the API agrees each time.
    const recordUrl = page.url();
    const shownId = decodeURIComponent(recordUrl.split('/').at(-1)!);
    await page.getByLabel('Title').fill('Renamed in the console');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    const renamed = (await call(server.url, 'GET', `/api/v4/recordings/${shownId}`, { headers })).body;
    assert.equal(renamed.recording_info.metadata.title, 'Renamed in the console');
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Delete recording' }).click();
    await page.waitForURL((url) => url.pathname === `/console/recordings/${rooms.items[0].room_id}`);
    assert.equal((await call(server.url, 'GET', `/api/v4/recordings/${shownId}`, { headers })).status, 404);
    // It waits in the trash, from where the console puts it back.
    await page.getByRole('link', { name: 'Trash' }).click();
    await page.getByRole('button', { name: `Restore ${shownId}` }).click();
    await page.getByText(`Restored recording ${shownId}.`).waitFor();
    assert.equal((await call(server.url, 'GET', `/api/v4/recordings/${shownId}`, { headers })).status, 200);
    await shoot(page, 'trash');
    await page.goto(`${server.url}/console/recordings/${rooms.items[0].room_id}`);

    // The room's sessions, then one session's file.
    await page.getByRole('link', { name: 'Session analytics of this room' }).click();
    await page.locator('tbody a').first().click();
    await page.getByRole('heading', { name: 'Who was in the room when' }).waitFor();
    const fileId = decodeURIComponent(page.url().split('/').at(-1)!);
    const file = (await call(server.url, 'GET', `/api/v4/analytics-files/${fileId}`, { headers })).body;
    assert.equal(await page.locator('.timeline li').count(), file.users.length);
    await shoot(page, 'session');

    // Statistics (admin).
    await page.getByRole('link', { name: 'Statistics' }).click();
    await page.waitForFunction(() => {
      const dom = globalThis as any;
      return dom.document.querySelectorAll('.chart[data-drawn]').length >= 2;
    });
    await shoot(page, 'statistics');
    assert.deepEqual(problems, []);

    // A reporter: no analytics, no recordings, no statistics link. An analyst: recordings, no delete.
    const reporter = await watchedPage(browser, server.url);
    await signIn(reporter.page, `${server.url}/console/recordings`, 'harbor-reporter1', PASSWORD);
    await reporter.page.getByText('Your role does not include recordings').waitFor();
    assert.equal(await reporter.page.getByRole('link', { name: 'Statistics' }).count(), 0);
    const analyst = await watchedPage(browser, server.url);
    const recordId = (
      await call(server.url, 'GET', `/api/v4/recordings?room_id=${rooms.items[1].room_id}`, { headers })
    ).body.items[0].record_id;
    await signIn(
      analyst.page,
      `${server.url}/console/recordings/${rooms.items[1].room_id}/${recordId}`,
      'harbor-analyst',
      PASSWORD,
    );
    await analyst.page.locator('video').waitFor();
    assert.equal(await analyst.page.getByRole('button', { name: 'Delete recording' }).count(), 0);
    assert.deepEqual([...reporter.problems, ...analyst.problems], []);
  });
});
