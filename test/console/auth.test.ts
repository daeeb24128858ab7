import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenancyFixture, TOKENS, type TenancyFixture } from '../tenancy/fixture.js';
import { newContext, screenshot, signIn } from './support/browser.js';
import { startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

/**
 * Sign-in and security of the web console in Chromium against the real app (`omnicloud serve`
 * wiring, a tenants file with two tenants `alpha` and `beta`, a token each plus an admin token):
 * refused tokens, sign-out, tenant scoping, cross-site posts, the CSP, keyboard order.
 */
let fx: TenancyFixture;
let world: ConsoleWorld;
/** A page on another origin of the same site (127.0.0.1, another port): what a hostile tab could load. */
let attacker: Server;
let attackerUrl: string;
const contexts: BrowserContext[] = [];
/** Every console response any test saw, and every console error of any page. */
const responses: Response[] = [];
const errors: string[] = [];

beforeAll(async () => {
  fx = await createTenancyFixture();
  world = await startConsoleWorld({ ...fx.secrets, OMNICLOUD_TENANTS_FILE: fx.tenantsFile });
  attacker = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>hostile</title>
<form id="chat" method="post" enctype="multipart/form-data" action="${world.url}/v1/chat">
  <input name="tenant" value="alpha"><input name="chat_id" value="csrf-probe">
  <input name="user_message" value="run this for me"><button>chat</button>
</form>
<form id="out" method="post" action="${world.url}/console/logout"><input name="_csrf" value="guess"><button>out</button></form>`);
  });
  await new Promise<void>((done) => attacker.listen(0, '127.0.0.1', done));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
}, 90_000);

afterAll(async () => {
  for (const c of contexts) await c.close();
  await new Promise<void>((done) => (attacker ? attacker.close(() => done()) : done()));
  await world?.close();
  await fx?.close();
});

/** A fresh browser (its own cookies) whose page reports responses and errors to the file's lists. */
async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(world.browser, world.url);
  contexts.push(context);
  const page = await context.newPage();
  page.on('response', (r) => {
    if (r.url().startsWith(`${world.url}/console`)) responses.push(r);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Expected refusals (401/403) are noted by Chromium as errors; so is the /favicon.ico a
    // non-console response (a /v1 JSON or a plain-text refusal shown as a page) makes it ask for.
    const refusal = /^Failed to load resource: the server responded with a status of 40[13]/.test(m.text());
    const favicon = new URL(m.location().url || page.url()).pathname === '/favicon.ico';
    if (!refusal && !favicon) errors.push(`${page.url()}: ${m.text()} (${m.location().url})`);
  });
  return { context, page };
}

const sessionCookie = async (context: BrowserContext) =>
  (await context.cookies()).find((c) => c.name === 'omni_console');

describe('console sign-in and security in Chromium', () => {
  it('keyboard: from the top, Tab reaches the skip link, then the token field (screenshot: login)', async () => {
    const { page } = await freshPage();
    await page.goto('/console/login');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.textContent?.trim()')).toBe(
      'Skip to content',
    );
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('token');
    await screenshot(page, 'login');
  });

  it('a wrong token is refused: the login page again with an alert, 401, no cookie', async () => {
    const { context, page } = await freshPage();
    await page.goto('/console/login');
    await page.getByLabel('API token').fill(`${TOKENS.ALPHA_API_TOKEN}x`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/console/login') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(response.status()).toBe(401);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('That token was not accepted');
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await sessionCookie(context)).toBeUndefined();
  });

  it('the one-click link signs in from the fragment and takes the token out of the address bar', async () => {
    const { context, page } = await freshPage();
    await page.goto(`/console/login#token=${encodeURIComponent(TOKENS.ALPHA_API_TOKEN)}`);
    await page.waitForURL((url) => url.pathname === '/console/t/alpha/chat');
    expect(page.url()).not.toContain('token');
    expect(await sessionCookie(context)).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // Back goes to the login page without the fragment (replaceState removed it from history).
    await page.goBack();
    expect(page.url()).not.toContain('#token');
  });

  it('sign in → sign out → a protected page sends the browser to sign in', async () => {
    const { context, page } = await freshPage();
    await signIn(page, TOKENS.ADMIN_API_TOKEN);
    // The admin token addresses both tenants: the picker lists them.
    expect(new URL(page.url()).pathname).toBe('/console');
    expect(await page.getByRole('link', { name: 'alpha' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'beta' }).count()).toBe(1);
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/console/login'),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    expect(await sessionCookie(context)).toBeUndefined();
    await page.goto('/console/t/alpha/chat');
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/console/t/alpha/chat');
  });

  it("a tenant's token cannot open another tenant: the 403 page, and /v1 with the cookie is 403", async () => {
    const { page } = await freshPage();
    await signIn(page, TOKENS.ALPHA_API_TOKEN);
    const refused = await page.goto('/console/t/beta/chat');
    expect(refused?.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Not allowed');
    expect(await page.getByRole('alert').textContent()).toContain('outside this caller');
    // Still signed in there: the way out is on the page.
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(1);
    expect((await page.request.get('/v1/usage/beta')).status()).toBe(403);
    expect((await page.request.get('/v1/usage/alpha')).status()).toBe(200);
  });

  it('a cross-site form post cannot act, even though the SameSite cookie goes along (same site, other origin)', async () => {
    const { context, page } = await freshPage();
    await signIn(page, TOKENS.ALPHA_API_TOKEN);
    await page.goto(attackerUrl);
    const [chat] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${world.url}/v1/chat`),
      page.locator('#chat button').click(),
    ]);
    expect(chat.status()).toBe(401);
    // Refused by the CSRF check (the cookie was sent), not for want of credentials.
    expect(await chat.text()).toContain('without a valid CSRF token or from another origin');

    await page.goto(attackerUrl);
    const [out] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${world.url}/console/logout`),
      page.locator('#out button').click(),
    ]);
    expect(out.status()).toBe(403);
    // Still signed in, and nothing ran: the conversation does not exist.
    expect(await sessionCookie(context)).toBeDefined();
    expect((await page.goto(`${world.url}/console/t/alpha/chat`))?.status()).toBe(200);
    const sessions = await page.request.get('/v1/conversations/alpha/csrf-probe/main/sessions');
    expect(await sessions.json()).toMatchObject({ sessions: [] });
  });

  it('every console response carried the CSP, and no page logged an error', () => {
    expect(responses.length).toBeGreaterThan(10);
    const missing = responses.filter(
      (r) => !r.headers()['content-security-policy']?.includes("default-src 'none'"),
    );
    expect(missing.map((r) => `${r.status()} ${r.url()}`)).toEqual([]);
    const kinds = new Set(responses.map((r) => r.status()));
    for (const status of [200, 303, 401, 403])
      expect(kinds, `a ${status} response was seen`).toContain(status);
    expect(errors).toEqual([]);
  });
});
