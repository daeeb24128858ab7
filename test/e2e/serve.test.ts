import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ServeHandle } from '../../src/app/serve.js';
import { parseEnv } from '../../src/config/env.js';
import { waitUntil } from '../support/child-processes.js';

/** `omnicloud serve`: the Lambda's Hono app on Node over HTTP, with the real runner and offline model. */
const TOKEN = 'local-api-token-8d1f3b5a7c9e2d4f6a8b0c1e3f5a7b9d';
let dir: string;
let server: ServeHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-serve-'));
  const raw = { OMNICLOUD_DATA_DIR: join(dir, 'data'), API_AUTH_TOKEN: TOKEN, PATH: process.env['PATH'] };
  server = await startApiServer(parseEnv(raw), { rawEnv: raw, port: 0 });
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const chat = (body: unknown, token?: string) =>
  fetch(`${server.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('omnicloud serve (agent HTTP API on Node)', () => {
  it('answers health checks without auth and chats with a token, remembering the conversation', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await chat({ user_message: 'hi', chat_id: 'srv' })).status).toBe(401);

    const first = (await (await chat({ user_message: 'remember: blue', chat_id: 'srv' }, TOKEN)).json()) as {
      response: string;
      session_id: string;
      is_error: boolean;
    };
    expect(first.is_error).toBe(false);
    const second = (await (await chat({ user_message: 'what colour?', chat_id: 'srv' }, TOKEN)).json()) as {
      response: string;
      session_id: string;
    };
    expect(second.session_id).toBe(first.session_id);
    expect(second.response).toContain('"remember: blue"');
  });

  it("serves the session and settings routes with the deployment's conversation service", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const turn = (await (
      await chat({ user_message: 'which sessions?', chat_id: 'srv-sessions' }, TOKEN)
    ).json()) as {
      session_id: string;
    };
    const listed = await fetch(`${server.url}/v1/conversations/default/srv-sessions/main/sessions`, {
      headers: auth,
    });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toMatchObject({
      current_session_id: turn.session_id,
      sessions: [{ session_id: turn.session_id, title: 'which sessions?', turns: 1, current: true }],
    });
    // No tenants file: the SDK's own aliases are the choices.
    const settings = await fetch(`${server.url}/v1/conversations/default/srv-sessions/main/settings`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'haiku' }),
    });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({
      model: 'haiku',
      model_id: 'haiku',
      choices: { models: { haiku: 'haiku', sonnet: 'sonnet', opus: 'opus' } },
    });
  });

  it('refuses malformed JSON with a stable error shape', async () => {
    const res = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"user_message": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String) },
    });
  });

  it('takes files as multipart over real HTTP, stores them for the conversation and serves them back', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const log = '2026-12-02 ERROR disk full\n';
    const body = new FormData();
    body.append('user_message', 'what does the log say?');
    body.append('chat_id', 'srv-files');
    body.append('file', new Blob([log]), '../../app.log');
    const res = await fetch(`${server.url}/v1/chat`, { method: 'POST', headers: auth, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { is_error: boolean }).is_error).toBe(false);

    const listed = await fetch(`${server.url}/v1/conversations/default/srv-files/main/files`, {
      headers: auth,
    });
    const { files } = (await listed.json()) as {
      files: Array<{ name: string; direction: string; download: string }>;
    };
    expect(files.map((f) => [f.name, f.direction])).toEqual([['app.log', 'in']]);
    const download = await fetch(`${server.url}${files[0]!.download}`, { headers: auth });
    expect(download.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="app.log"; filename*=UTF-8''app.log`,
    );
    expect(await download.text()).toBe(log);
  });
});

describe('omnicloud serve (the command)', () => {
  it('prints the API and web console addresses; the console answers there; SIGTERM stops it', async () => {
    const root = resolve(import.meta.dirname, '../..');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'src/entry/cli.ts'), 'serve', '--port', '0'],
      {
        cwd: root,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: dir,
          TMPDIR: dir,
          OMNICLOUD_DATA_DIR: join(dir, 'cli-data'),
          OMNICLOUD_LOG_LEVEL: 'warn',
          API_AUTH_TOKEN: TOKEN,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const line =
        /omnicloud: web console on (http:\/\/127\.0\.0\.1:\d+\/console) \(sign in with an API token\)/;
      await waitUntil(() => line.test(stderr), 30_000, 'the console line');
      expect(stderr).toMatch(/omnicloud: agent API on http:\/\/127\.0\.0\.1:\d+ \(POST \/v1\/chat/);
      const consoleUrl = line.exec(stderr)?.[1] ?? '';
      const login = await fetch(`${consoleUrl}/login`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain('<label for="token">API token</label>');
      const signIn = await fetch(`${consoleUrl}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { origin: new URL(consoleUrl).origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
      expect(signIn.status).toBe(303);
      expect(signIn.headers.get('set-cookie')).toMatch(/^omni_console=.*; HttpOnly; SameSite=Strict$/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
