import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium (installed by `.ci/run`), driven by playwright-core. `CHROMIUM_PATH` overrides
 * the path. There is no fallback: the console's browser tests must run in a real browser.
 */
export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `[test:console] no Chromium at ${path}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  return path;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** Where screenshots go: test artefacts, not committed (`test-results/` is ignored). */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'console');

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A fresh browser context (its own cookies) at a desktop or phone viewport. */
export async function newContext(browser: Browser, baseURL: string, phone = false): Promise<BrowserContext> {
  return browser.newContext({
    baseURL,
    viewport: phone ? { width: 390, height: 844 } : { width: 1280, height: 860 },
  });
}

/** Signs in through the real form; resolves on the page the console lands on. */
export async function signIn(page: Page, token: string, next = '/console'): Promise<void> {
  await page.goto(`/console/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('API token').fill(token);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.endsWith('/login')),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}
