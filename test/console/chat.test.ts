import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, screenshot, signIn } from './support/browser.js';
import { CONSOLE_TOKEN, startConsoleWorld, type ConsoleWorld } from './support/console-world.js';

/**
 * The chat page in Chromium against `omnicloud serve` (real runner, `claude` binary, offline demo
 * model at 40 ms a word): streaming, tool lines, approvals, Stop, files, hostile answers, phone width.
 */
let world: ConsoleWorld;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  world = await startConsoleWorld({ OMNICLOUD_DEMO_TOKEN_MS: '40' });
  context = await newContext(world.browser, world.url);
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await signIn(page, CONSOLE_TOKEN, '/console/t/default/chat');
}, 60_000);
afterAll(async () => {
  await context?.close();
  await world?.close();
});

/** Opens a fresh conversation through the chooser's "New conversation"; resolves with its chat id. */
async function newConversation(p: Page = page): Promise<string> {
  await p.goto('/console/t/default/chat');
  await Promise.all([
    p.waitForURL(/\/chat\/web-[0-9a-f]{12}\/main$/),
    p.getByRole('button', { name: 'New conversation' }).click(),
  ]);
  return /\/chat\/(web-[0-9a-f]+)\//.exec(p.url())![1]!;
}

/** Types a message and sends it with Enter. */
async function send(text: string, p: Page = page): Promise<Locator> {
  await p.getByLabel('Message').fill(text);
  await p.getByLabel('Message').press('Enter');
  return p.locator('#turns article.turn').last();
}

/** The last agent block of the conversation, once its turn ended (its cost line is shown). */
/**
 * Clicks an approval button and waits for the continued turn's own block to finish: the block of
 * the turn that asked is already finished, so `finished()` alone could return it.
 */
async function decide(button: Locator): Promise<Locator> {
  const metas = page.locator('#turns .msg.agent .turn-meta');
  const before = await metas.count();
  await button.click();
  await expect.poll(() => metas.count(), { timeout: 60_000 }).toBeGreaterThan(before);
  return page.locator('#turns .msg.agent').last();
}

async function finished(p: Page = page, timeout = 60_000): Promise<Locator> {
  const block = p.locator('#turns .msg.agent').last();
  await block.locator('.turn-meta').waitFor({ timeout });
  return block;
}

const words = async (answer: Locator): Promise<number> =>
  ((await answer.textContent()) ?? '').split(/\s+/).filter((w) => /^word\d+$/.test(w)).length;

describe('chat page (real binary, offline demo model, Chromium)', () => {
  it('streams the answer into the page before the turn ends, then shows the final answer with its cost', async () => {
    await newConversation();
    const turn = await send('stream 60 words');
    const answer = turn.locator('.answer');
    await expect.poll(() => words(answer), { timeout: 30_000 }).toBeGreaterThanOrEqual(5);
    const partial = await words(answer);
    expect(partial).toBeLessThan(60);
    expect(await page.locator('#stop').isVisible()).toBe(true);
    expect(await answer.getAttribute('aria-live')).toBe('polite');
    await screenshot(page, 'chat-streaming');
    const block = await finished();
    expect(await words(block.locator('.answer'))).toBe(60);
    expect(await block.locator('.turn-meta').textContent()).toMatch(/^\$\d+\.\d{4} · \d+\.\d s/);
    expect(await page.locator('#stop').isVisible()).toBe(false);
  }, 90_000);

  it('shows a tool call as a line with its input and elapsed time, also after a reload', async () => {
    await newConversation();
    await send('call tool Bash {"command":"echo hi-from-bash"}');
    const block = await finished();
    const line = block.locator('li.tool').first();
    expect(await line.locator('.tool-name').textContent()).toBe('Bash');
    expect(await line.locator('.tool-input').textContent()).toContain('echo hi-from-bash');
    expect(await line.locator('.tool-time').textContent()).toMatch(/^\d+\.\d s$/);
    expect(await line.getAttribute('class')).toBe('tool ok');
    expect(await block.locator('.answer').textContent()).toContain('hi-from-bash');
    await screenshot(page, 'chat');
    await page.reload();
    // First render of a conversation with history, as the browser timed it.
    const { ttfb, dcl } = await page.evaluate<{ ttfb: number; dcl: number }>(`(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return { ttfb: n.responseStart - n.requestStart, dcl: n.domContentLoadedEventEnd - n.startTime };
    })()`);
    console.log(
      `[chat.test] conversation page: first byte ${ttfb.toFixed(0)} ms, DOMContentLoaded ${dcl.toFixed(0)} ms`,
    );
    expect(dcl).toBeLessThan(1_000);
    const stored = page.locator('#turns li.tool').first();
    expect(await stored.locator('.tool-input').textContent()).toContain('echo hi-from-bash');
    expect(await page.locator('#turns .answer').last().textContent()).toContain('hi-from-bash');
  }, 90_000);

  it('shows a subagent call as a line naming the subagent, with its report in the answer', async () => {
    await newConversation();
    await send('ask subagent general-purpose: count the open incidents');
    const block = await finished();
    const line = block.locator('li.tool', { hasText: '→ subagent general-purpose' });
    expect(await line.locator('.tool-name').textContent()).toBe('Agent');
    expect(await line.getAttribute('class')).toBe('tool ok');
    expect(await block.locator('.answer').textContent()).toContain('count the open incidents');
  }, 90_000);

  it('asks inline before a state-changing tool call; Allow once runs it and its output appears', async () => {
    await newConversation();
    const marker = join(tmpdir(), `console-approve-${Date.now()}`);
    await send(`call tool Bash {"command":"touch ${marker} && printf ran-it"}`);
    const box = page.locator('.approval');
    await box.waitFor({ timeout: 60_000 });
    expect(await box.locator('.approval-call').textContent()).toContain(`touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
    await screenshot(page, 'chat-approval');
    const block = await decide(box.getByRole('button', { name: 'Allow once' }));
    expect(await block.locator('.answer').textContent()).toContain('ran-it');
    expect(existsSync(marker)).toBe(true);
    expect(await box.locator('.approval-outcome').textContent()).toBe('Allowed once.');
    await page.reload();
    const stored = page.locator('#turns article.turn').last();
    expect(await stored.locator('li.tool.ok .tool-input').textContent()).toContain(`touch ${marker}`);
    expect(await stored.locator('.answer').last().textContent()).toContain('ran-it');
    expect(await page.locator('.approval').count()).toBe(0);
    await screenshot(page, 'chat-approved-reloaded');
  }, 120_000);

  it('shows a request still waiting when the page loads; Deny refuses the call', async () => {
    const chat = await newConversation();
    const marker = join(tmpdir(), `console-deny-${Date.now()}`);
    await send(`call tool Bash {"command":"touch ${marker}"}`);
    await page.locator('.approval').waitFor({ timeout: 60_000 });
    await page.goto(`/console/t/default/chat/${chat}/main`);
    const box = page.locator('.approval');
    expect(await box.locator('.approval-call').textContent()).toContain(`touch ${marker}`);
    await decide(box.getByRole('button', { name: 'Deny' }));
    expect(await box.locator('.approval-outcome').textContent()).toBe('Denied.');
    expect(existsSync(marker)).toBe(false);
  }, 120_000);

  it('stops a long turn within seconds; the conversation answers the next message', async () => {
    await newConversation();
    const turn = await send('stream 3000 words');
    await expect.poll(() => words(turn.locator('.answer')), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const started = Date.now();
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => page.locator('#chat-status').textContent()).toMatch(/Stopping…|Stopped\./);
    await turn.locator('.turn-note', { hasText: 'Stopped.' }).waitFor({ timeout: 10_000 });
    const stoppedMs = Date.now() - started;
    expect(stoppedMs).toBeLessThan(6_000);
    expect(await words(turn.locator('.answer'))).toBeLessThan(3000);
    console.log(`[chat.test] Stop → stopped result in ${stoppedMs} ms`);
    const next = await send('are you still there?');
    await finished();
    expect(await next.locator('.answer').textContent()).toContain('are you still there?');
  }, 90_000);

  it('a stream cut before the result says so; "Get the answer" re-sends with the same request id and the turn ran once', async () => {
    const chat = await newConversation();
    // The real answer, cut before its result event (as a dropped connection leaves it).
    await page.route(
      '**/v1/chat',
      async (route) => {
        const real = await route.fetch();
        const body = await real.text();
        await route.fulfill({ response: real, body: body.slice(0, body.indexOf('event: result')) });
      },
      { times: 1 },
    );
    const turn = await send('stream 5 words');
    await turn.getByRole('alert').filter({ hasText: 'connection was lost' }).waitFor({ timeout: 60_000 });
    expect(await words(turn.locator('.answer').first())).toBe(5);
    await turn.getByRole('button', { name: 'Get the answer' }).click();
    const block = await finished();
    expect(await words(block.locator('.answer'))).toBe(5);
    const listed = await page.request.get(`/v1/conversations/default/${chat}/main`);
    expect(((await listed.json()) as { conversation: { turns: number } }).conversation.turns).toBe(1);
  }, 90_000);

  it('shows the API refusing a file and gives the message and its files back', async () => {
    await newConversation();
    await page
      .getByLabel('Attach files')
      .setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
    const turn = await send('read this');
    await turn.getByRole('alert').filter({ hasText: 'empty.txt is empty' }).waitFor({ timeout: 30_000 });
    expect(await page.getByLabel('Message').inputValue()).toBe('read this');
    expect(await page.locator('#chips li', { hasText: 'empty.txt' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Remove empty.txt' }).click();
    expect(await page.locator('#chips li').count()).toBe(0);
  }, 60_000);

  it('sends files picked in the file input and dropped on the conversation; the model is shown them', async () => {
    await newConversation();
    await page.getByLabel('Attach files').setInputFiles({
      name: 'picked-notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('cpu 97%\n'),
    });
    await page.locator('#chips li', { hasText: 'picked-notes.txt' }).waitFor();
    const picked = await send('what did I attach?');
    await finished();
    expect(await picked.locator('.answer').textContent()).toContain('picked-notes.txt');
    expect(await page.locator('#chips li').count()).toBe(0);

    // A drop as the browser dispatches it (the test's tsconfig has no DOM lib: the script is a string).
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File(['disk 80%\\n'], 'dropped-log.txt', { type: 'text/plain' }));
      const zone = document.querySelector('#turns');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    })()`);
    const chip = page.locator('#chips li', { hasText: 'dropped-log.txt' });
    await chip.waitFor();
    const dropped = await send('and this one?');
    await finished();
    expect(await dropped.locator('.answer').textContent()).toContain('dropped-log.txt');
  }, 120_000);

  it('a file the agent sends is a download link that downloads it', async () => {
    const chat = await newConversation();
    await page.getByLabel('Attach files').setInputFiles({
      name: 'report.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('host,cpu\nweb-1,97\n'),
    });
    await send('keep this');
    await finished();
    const listed = await page.request.get(`/v1/conversations/default/${chat}/main/files`);
    const { files } = (await listed.json()) as { files: Array<{ id: string; name: string }> };
    const sent = `call tool mcp__omnicloud__send_file ${JSON.stringify({ path: `${files[0]!.id}/report.csv` })}`;
    await send(sent);
    const block = await finished();
    const link = block.locator('.sent-files a', { hasText: 'report.csv' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('report.csv');
    expect(await readFile((await download.path())!, 'utf8')).toBe('host,cpu\nweb-1,97\n');
  }, 120_000);

  it('renders a hostile answer inert: no dialog, no image, no script, no javascript: link, bidi shown', async () => {
    await newConversation();
    const hostile =
      'quote this <img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3)) invoice\u202Efdp.exe';
    const turn = await send(hostile);
    const block = await finished();
    const check = async (scope: Locator): Promise<void> => {
      expect(await scope.locator('img, script, iframe').count()).toBe(0);
      expect(await scope.locator('a[href^="javascript" i]').count()).toBe(0);
    };
    expect(await block.locator('.answer').textContent()).toContain('<img src=x onerror=alert(1)>');
    await check(turn);
    const shown = (await turn.textContent()) ?? '';
    expect(shown).toContain('invoice[U+202E]fdp.exe');
    expect(shown).not.toContain('\u202E');
    await page.reload();
    await check(page.locator('#turns'));
    expect(await page.locator('#turns .answer').last().textContent()).toContain('onerror=alert(1)');
    expect(dialogs).toEqual([]);
  }, 90_000);

  it('refuses hostile ids with the error page; the chooser lists the conversations and opens one by id', async () => {
    const bad = await page.goto('/console/t/default/chat/..%2F..%2Fetc/main');
    expect(bad?.status()).toBe(400);
    expect(await page.getByRole('alert').textContent()).toContain('invalid chat id');
    const open = await page.goto('/console/t/default/chat/open?chat=%3Cscript%3E&thread=main');
    expect(open?.status()).toBe(400);

    await page.goto('/console/t/default/chat');
    expect(await page.locator('.recent li').count()).toBeGreaterThan(0);
    await page.getByLabel('Chat id').fill('ops-room');
    await page.getByLabel('Thread id').fill('t-1');
    await Promise.all([
      page.waitForURL(/\/chat\/ops-room\/t-1$/),
      page.getByRole('button', { name: 'Open' }).click(),
    ]);
    expect(await page.locator('h1').textContent()).toContain('ops-room');
  }, 30_000);

  it('works at 390 px: no sideways scrolling, message box and Send reachable', async () => {
    const phone = await newContext(world.browser, world.url, true);
    const p = await phone.newPage();
    await signIn(p, CONSOLE_TOKEN, '/console/t/default/chat');
    await newConversation(p);
    await send(
      'call tool Bash {"command":"echo a-long-line-that-should-wrap-on-a-phone-screen-and-not-scroll"}',
      p,
    );
    await finished(p);
    const width = await p.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
    expect(await p.getByRole('button', { name: 'Send' }).isVisible()).toBe(true);
    await screenshot(p, 'chat-phone');
    await phone.close();
  }, 90_000);
});
