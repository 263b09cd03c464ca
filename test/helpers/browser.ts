import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = process.env.RECAP_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

/** How the tests and scripts start it: no sandbox (containers), no GPU, no network of its own. */
export const CHROMIUM_OPTIONS = {
  executablePath: CHROMIUM,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export async function launchBrowser(t: TestContext): Promise<Browser> {
  const browser = await chromium.launch(CHROMIUM_OPTIONS);
  t.after(() => browser.close());
  return browser;
}

/**
 * A page that records what must never happen: a script error, a console error (a CSP violation
 * is one), or a request to any host but Recap's.
 */
export async function watchedPage(browser: Browser, baseUrl: string, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page: Page = await context.newPage();
  const problems: string[] = [];
  const origin = new URL(baseUrl).origin;
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 401/.test(message.text()))
      problems.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'))
      problems.push(`request to another host: ${url}`);
  });
  return { page, context, problems };
}
