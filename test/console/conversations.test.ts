import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, screenshot, signIn } from './support/browser.js';
import { CONSOLE_TOKEN, startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

/**
 * The conversations pages in Chromium against the real app (`omnicloud serve`, the real `claude`
 * binary, the offline demo model): sessions made through `POST /v1/chat`, then listed, searched,
 * read, exported, switched to and deleted in the browser; a hostile transcript rendered inert.
 */

let world: ConsoleWorld;
let beacon: Server;
const beaconHits: string[] = [];
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];

/** Sessions made in `beforeAll`: two of conversation `ops/main` (the second current), one hostile. */
const ids = { first: '', second: '', hostile: '' };
const LONG_WORD = 'W'.repeat(3000);

const api = async (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${world.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${CONSOLE_TOKEN}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });

async function chat(chatId: string, message: string): Promise<string> {
  const response = await api('/v1/chat', {
    method: 'POST',
    body: JSON.stringify({ tenant: 'default', chat_id: chatId, thread_id: 'main', user_message: message }),
  });
  const body = (await response.json()) as { session_id: string; is_error: boolean };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.session_id;
}

beforeAll(async () => {
  beacon = createServer((req, res) => {
    beaconHits.push(req.url ?? '');
    res.end('');
  });
  await new Promise<void>((resolve) => beacon.listen(0, '127.0.0.1', resolve));
  const port = (beacon.address() as AddressInfo).port;
  world = await startConsoleWorld();

  ids.first = await chat('ops', 'hello there');
  await chat('ops', 'call tool Bash {"command":"echo hi"}');
  await chat('ops', 'ask subagent general-purpose: say hi');
  expect((await api('/v1/conversations/default/ops/main/sessions/new', { method: 'POST' })).status).toBe(200);
  ids.second = await chat('ops', 'a second session');
  expect(ids.second).not.toBe(ids.first);

  const hostile = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[c](javascript:alert(1))',
    `![b](http://127.0.0.1:${port}/beacon)`,
    'evil\u202Etxt.exe',
  ].join('\n\n');
  ids.hostile = await chat('hostile', hostile);
  await chat('hostile', 'call tool Read {"file_path":"/tmp/evil\u202Etxt.exe"}');
  await chat('hostile', `a long line ${LONG_WORD}`);

  context = await newContext(world.browser, world.url);
  page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await signIn(page, CONSOLE_TOKEN);
}, 120_000);

afterAll(async () => {
  await context?.close();
  await world?.close();
  await new Promise((resolve) => beacon?.close(resolve));
});

const rows = (p: Page) => p.locator('table.sessions tbody tr');

describe('conversations pages in Chromium', () => {
  it('lists the tenant sessions newest first and searches by chat and by dates', async () => {
    const started = Date.now();
    await page.goto('/console/t/default/conversations');
    const firstRender = Date.now() - started;
    await expect.poll(() => rows(page).count()).toBe(3);
    expect(await rows(page).first().textContent()).toContain('hostile / main');
    const ops = rows(page).filter({ hasText: 'ops / main' });
    expect(await ops.count()).toBe(2);
    expect(await ops.first().getByRole('link', { name: 'Chat ops, thread main' }).getAttribute('href')).toBe(
      '/console/t/default/chat/ops/main',
    );
    expect(await ops.filter({ hasText: 'current' }).count()).toBe(1);
    await screenshot(page, 'conversations');
    expect(firstRender).toBeLessThan(1000);

    // By chat, through the labelled form.
    await page.getByLabel('Chat', { exact: true }).fill('ops');
    await Promise.all([page.waitForURL(/chat=ops/), page.getByRole('button', { name: 'Search' }).click()]);
    expect(await rows(page).count()).toBe(2);
    expect(await page.getByRole('status').first().textContent()).toContain('2 sessions');

    // A date range that excludes every session.
    await page.getByLabel('From (UTC)').fill('2001-01-01');
    await page.getByLabel('To (UTC)').fill('2001-01-31');
    await Promise.all([
      page.waitForURL(/from=2001-01-01/),
      page.getByRole('button', { name: 'Search' }).click(),
    ]);
    expect(await rows(page).count()).toBe(0);
    expect(await page.getByText('No session matches this search.').count()).toBe(1);

    // Today's range includes them again.
    const today = new Date().toISOString().slice(0, 10);
    await page.goto(`/console/t/default/conversations?chat=ops&from=${today}&to=${today}`);
    expect(await rows(page).count()).toBe(2);
  });

  it('refuses hostile search values with a clear message, never a 500', async () => {
    for (const query of [
      'chat=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      'thread=x',
      'from=2026-02-31',
      'from=2026-03-02&to=2026-03-01',
      `chat=${'a'.repeat(5000)}`,
      'page=-1',
    ]) {
      const response = await page.goto(`/console/t/default/conversations?${query}`);
      expect(response?.status(), query).toBe(400);
      expect(await page.getByRole('alert').textContent(), query).toContain('The search was not run');
      expect(await page.locator('main script').count()).toBe(0);
    }
  });

  it('shows a transcript: turns with cost, the tool call folded and opened by keyboard, the subagent', async () => {
    await page.goto('/console/t/default/conversations?chat=ops');
    await Promise.all([
      page.waitForURL(/\/sessions\//),
      page.getByRole('link', { name: 'hello there' }).click(),
    ]);
    expect(new URL(page.url()).pathname).toBe(`/console/t/default/sessions/${ids.first}`);
    expect(await page.locator('section.turn').count()).toBe(3);
    expect(await page.locator('.turn-facts').first().textContent()).toMatch(/tokens · \$0\.\d{4}/);
    expect(await page.locator('article.msg.user time').first().getAttribute('datetime')).toMatch(/^\d{4}-/);

    const tool = page.locator('details.tool', { hasText: 'Bash · echo hi' });
    expect(await tool.locator('summary').textContent()).toBe('Bash · echo hi');
    expect(await tool.getAttribute('open')).toBeNull();
    expect(await tool.locator('pre[aria-label="Tool result"]').isVisible()).toBe(false);
    await tool.locator('summary').focus();
    await page.keyboard.press('Enter');
    expect(await tool.getAttribute('open')).toBe('');
    expect(await tool.locator('pre[aria-label="Tool result"]').textContent()).toContain('hi');

    const agent = page.locator('details.tool', { hasText: 'Agent' });
    await agent.locator('summary').first().click();
    const subagent = agent.locator('details.subagent');
    expect(await subagent.count()).toBe(1);
    expect(await subagent.locator('summary').textContent()).toMatch(/^Subagent agent-\w+ · general-purpose/);
    await subagent.locator('summary').click();
    expect(await subagent.locator('article.msg').count()).toBeGreaterThan(0);
    await screenshot(page, 'transcript');
  });

  it('exports the session as Markdown and JSONL through the API', async () => {
    await page.goto(`/console/t/default/sessions/${ids.first}`);
    const [md] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export Markdown' }).click(),
    ]);
    expect(md.suggestedFilename()).toBe(`${ids.first}.md`);
    const markdown = await readFile((await md.path()) ?? '', 'utf8');
    expect(markdown).toMatch(/^# hello there\n/);
    expect(markdown).toContain('🔧 Bash — echo hi');

    const [jsonl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export JSONL' }).click(),
    ]);
    expect(jsonl.suggestedFilename()).toBe(`${ids.first}.jsonl`);
    const lines = (await readFile((await jsonl.path()) ?? '', 'utf8')).trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as { sessionId?: string; type: string });
    expect(entries.some((e) => e.type === 'assistant' && e.sessionId === ids.first)).toBe(true);
  });

  it('switches the conversation back to an earlier session', async () => {
    await page.goto(`/console/t/default/sessions/${ids.first}`);
    const switched = page.waitForResponse(
      (r) =>
        r.request().method() === 'POST' &&
        r.url().endsWith(`/v1/conversations/default/ops/main/sessions/${ids.first}/switch`),
    );
    await Promise.all([
      page.waitForURL(/switched=1/),
      page.getByRole('button', { name: 'Continue the conversation from this session' }).click(),
    ]);
    expect((await switched).status()).toBe(200);
    expect(await page.getByRole('status').textContent()).toContain('now continues from this session');
    const listing = (await (await api('/v1/conversations/default/ops/main/sessions')).json()) as {
      current_session_id: string;
    };
    expect(listing.current_session_id).toBe(ids.first);
  });

  it('deletes a session after a keyboard-confirmed step, back to the list with a notice', async () => {
    await page.goto(`/console/t/default/sessions/${ids.second}`);
    await Promise.all([page.waitForURL(/\/delete$/), page.getByRole('link', { name: 'Delete…' }).click()]);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Delete this session?');
    // The confirm button has the focus: Enter confirms (the script sends DELETE to the API).
    const deleted = page.waitForResponse(
      (r) =>
        r.request().method() === 'DELETE' &&
        r.url().endsWith(`/v1/conversations/default/sessions/${ids.second}`),
    );
    await page.keyboard.press('Enter');
    expect((await deleted).status()).toBe(200);
    await page.waitForURL(/conversations\?deleted=/);
    expect(await page.getByRole('status').first().textContent()).toContain(
      `Session ${ids.second} was deleted.`,
    );
    expect(await page.locator(`a[href$="/sessions/${ids.second}"]`).count()).toBe(0);
    expect(await rows(page).count()).toBe(2);
    expect((await api(`/v1/conversations/default/sessions/${ids.second}`)).status).toBe(404);
  });

  it('renders a hostile transcript inert: no dialog, no beacon request, no script or img, RTL shown', async () => {
    await page.goto('/console/t/default/conversations');
    await page.goto(`/console/t/default/sessions/${ids.hostile}`);
    for (const summary of await page.locator('.transcript summary').all()) await summary.click();
    await page.waitForLoadState('networkidle');
    const transcript = page.locator('.transcript');
    expect(await transcript.locator('script, img, iframe, object, embed, svg').count()).toBe(0);
    expect(
      await transcript.locator('a[href^="javascript:" i], a[href^="data:" i], a[href*="127.0.0.1"]').count(),
    ).toBe(0);
    expect(await page.locator('[onerror], [onclick], [onload]').count()).toBe(0);
    const text = (await transcript.textContent()) ?? '';
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain('<img src=x onerror=alert(1)>');
    expect(text).toContain('evil[U+202E]txt.exe');
    expect(text).not.toContain('\u202E');
    expect(
      await page.locator('details.tool summary', { hasText: 'Read · /tmp/evil[U+202E]txt.exe' }).count(),
    ).toBe(1);
    expect(await page.locator('.md-image').first().textContent()).toContain('/beacon');
    expect(dialogs).toEqual([]);
    expect(beaconHits).toEqual([]);
  });

  it('fits a phone: no horizontal scroll at 390 px on the list and on a transcript with a 3 000-character word', async () => {
    const phone = await newContext(world.browser, world.url, true);
    const small = await phone.newPage();
    small.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await signIn(small, CONSOLE_TOKEN);
    const overflow = async () => Number(await small.evaluate('document.documentElement.scrollWidth'));
    await small.goto('/console/t/default/conversations');
    expect(await overflow()).toBeLessThanOrEqual(390);
    await small.goto(`/console/t/default/sessions/${ids.hostile}`);
    for (const summary of await small.locator('.transcript summary').all()) await summary.click();
    expect(await small.locator('.msg.user', { hasText: 'a long line WWWW' }).count()).toBe(1);
    expect(await overflow()).toBeLessThanOrEqual(390);
    await screenshot(small, 'transcript-phone');
    await phone.close();
    expect(dialogs).toEqual([]);
  });
});
