import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { privateText } from '../telegram/updates.js';
import { isRunning, liveClaudeProcesses, waitUntil } from '../support/child-processes.js';

/**
 * `npm start` (`src/entry/local.ts` → `omnicloud start`) as a separate process: the terminal chat
 * without a bot token, the bot (long polling a fake Bot API on 127.0.0.1) with one. Real SDK
 * binary, offline demo model, embedded storage.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'src/entry/local.ts');
let dir: string;
let api: FakeTelegramApi;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-start-'));
  api = await startFakeTelegramApi();
});
afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Started {
  stdout: () => string;
  stderr: () => string;
  write(text: string): void;
  endInput(): void;
  stop(): void;
  exited: Promise<number | null>;
  /** Live `claude` processes under the started process (its warm agent processes). */
  agents(): number[];
}

function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: dir,
      TMPDIR: dir,
      OMNICLOUD_DATA_DIR: join(dir, 'data'),
      OMNICLOUD_WORKSPACE_DIR: join(dir, 'workspaces'),
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => clearTimeout(timer));
  return {
    stdout: () => out,
    stderr: () => err,
    write: (text) => child.stdin.write(text),
    endInput: () => child.stdin.end(),
    stop: () => child.kill('SIGTERM'),
    exited,
    agents: () => (child.pid === undefined ? [] : liveClaudeProcesses(child.pid)),
  };
}

/** `console: <url>` and the one-click sign-in link `npm start` prints under the model line. */
const CONSOLE_LINES =
  /model: OFFLINE DEMO MODEL[^\n]*\nconsole: (http:\/\/127\.0\.0\.1:\d+\/console)\n {2}sign in \(this run only\): (\S+)\n/;

describe('npm start', () => {
  it('without a bot token runs the terminal chat, with the web console beside it', async () => {
    const run = start({ OMNICLOUD_PORT: '0' });
    await waitUntil(() => CONSOLE_LINES.test(run.stderr()), 30_000, 'the console lines');
    const [, consoleUrl = '', link = ''] = CONSOLE_LINES.exec(run.stderr()) ?? [];
    const origin = new URL(consoleUrl).origin;
    expect(link).toMatch(new RegExp(`^${origin}/console/login#token=[\\w-]{43}$`));
    const token = decodeURIComponent(link.slice(link.indexOf('#token=') + '#token='.length));
    // The console answers there, and this run's token (from the link) signs in.
    const login = await fetch(`${origin}/console/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("default-src 'none'");
    const signIn = await fetch(`${origin}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^omni_console=/);
    const home = await fetch(`${origin}/console`, { headers: { cookie }, redirect: 'manual' });
    expect(home.headers.get('location')).toBe('/console/t/default/chat');
    // The same token is the API's bearer token for this run.
    const usage = await fetch(`${origin}/v1/usage/default`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(usage.status).toBe(200);

    run.write('hello from the terminal\n');
    run.write('/debug\n');
    run.write('/exit\n');
    run.endInput();
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain('omnicloud chat — conversation default:local');
    expect(run.stdout()).toContain('hello from the terminal');
    // The conversation's agent process stayed alive for the next message.
    expect(run.stdout()).toMatch(/agent: +live process \(pid \d+/);
    expect(api.calls).toHaveLength(0);
    // The token is printed once, for the person, and nowhere else (no log line carries it).
    expect((run.stderr() + run.stdout()).split(token).length - 1).toBe(1);
    // The console stopped with the chat.
    await expect(fetch(`${origin}/console/login`)).rejects.toThrow();
  }, 90_000);

  it('with the console port taken, says so and the terminal chat runs on', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const port = (taken.address() as AddressInfo).port;
    try {
      const run = start({ OMNICLOUD_PORT: String(port) });
      await waitUntil(() => run.stderr().includes('type /help'), 30_000, 'the chat to start');
      run.write('/help\n');
      run.write('/exit\n');
      run.endInput();
      expect(await run.exited).toBe(0);
      expect(run.stderr()).toContain(
        `console: not started — 127.0.0.1:${port} is in use (set OMNICLOUD_PORT to a free port, or 0 for any); the terminal chat runs without it`,
      );
      expect(run.stdout()).toContain('Usage: omnicloud chat');
    } finally {
      await new Promise<void>((done) => taken.close(() => done()));
    }
  }, 60_000);

  it('with a bot token runs the bot: it polls Telegram, answers, and stops on SIGTERM', async () => {
    const run = start({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot });
    await api.waitFor(() => api.calls.some((c) => c.method === 'getUpdates'), 30_000);
    api.pushUpdate(privateText('hello from Telegram'));
    await api.waitFor(() => api.sentTexts().some((t) => t.includes('hello from Telegram')), 60_000);
    expect(run.stderr()).toContain('Telegram bot(s) running');
    // The conversation's agent process stays warm for the next message (next to, at most, a spare
    // started ahead for the next new conversation)…
    const seen = new Set(run.agents());
    expect(seen.size).toBeGreaterThanOrEqual(1);
    expect(seen.size).toBeLessThanOrEqual(2);
    api.pushUpdate(privateText('second message'));
    await api.waitFor(() => api.sentTexts().some((t) => t.includes('second message')), 60_000);
    const now = run.agents();
    expect(now.some((pid) => seen.has(pid))).toBe(true);
    for (const pid of now) seen.add(pid);
    // …and none outlives the bot: SIGTERM closes them before the process exits.
    run.stop();
    expect(await run.exited).toBe(0);
    await waitUntil(() => [...seen].every((pid) => !isRunning(pid)), 5_000, 'the agent processes to exit');
  }, 120_000);
});
