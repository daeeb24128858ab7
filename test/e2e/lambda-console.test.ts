import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../src/app/lambda/api.js';
import { loadLambdaEnv } from '../../src/app/lambda/env.js';
import { lambdaStreamingRuntime, streamingApiHandler } from '../../src/app/lambda/stream.js';
import {
  decodeHttpIntegration,
  functionUrlEvent,
  installAwsLambdaGlobal,
  invokeStreaming,
  type StreamedHttpResponse,
} from '../support/lambda-runtime.js';

/**
 * The web console through the API Lambda as deployed with ApiAuthMode=token: Function URL events
 * (payload 2.0, cookies in `event.cookies`, Set-Cookie back in the prelude's `cookies`) into the
 * response-streaming handler (`hono/aws-lambda` `streamHandle`) over the real app wiring
 * (`buildApiApp`, production semantics). No turn runs, so no model or cloud peers are needed.
 */
const TOKEN = 'console-lambda-token-7d2f9b4e1a6c3e8f0b5d2a9c';
const DOMAIN = 'abc123.lambda-url.eu-west-1.on.aws';
const ORIGIN = `https://${DOMAIN}`;
let dir: string;
let restore: () => void;

const env = (extra: Record<string, string> = {}) =>
  loadLambdaEnv({
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_LOG_LEVEL: 'error',
    OMNICLOUD_STORAGE: 'sqlite',
    OMNICLOUD_DATA_DIR: join(dir, `data-${Math.random()}`),
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
    API_AUTH_MODE: 'token',
    API_AUTH_TOKEN: TOKEN,
    ...extra,
  });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omni-lambda-console-'));
  restore = installAwsLambdaGlobal();
});
afterAll(async () => {
  restore?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Invoke = (
  method: string,
  path: string,
  options?: { cookies?: string[]; headers?: Record<string, string>; form?: Record<string, string> },
) => Promise<StreamedHttpResponse>;

async function withHandler(
  extra: Record<string, string>,
  run: (invoke: Invoke) => Promise<void>,
): Promise<void> {
  const { app, deps } = await buildApiApp(await env(extra));
  try {
    const handler = streamingApiHandler(lambdaStreamingRuntime(), async () => app);
    await run(async (method, path, options = {}) => {
      const event = {
        ...functionUrlEvent(method, path, { headers: options.headers ?? {} }),
        ...(options.cookies ? { cookies: options.cookies } : {}),
      };
      if (options.form) {
        Object.assign(event.headers, { 'content-type': 'application/x-www-form-urlencoded' });
        Object.assign(event, { body: new URLSearchParams(options.form).toString() });
      }
      return decodeHttpIntegration(await invokeStreaming(handler, event));
    });
  } finally {
    await deps.close();
  }
}

describe('web console through the API Lambda (Function URL, ApiAuthMode=token)', () => {
  it('signs in: a Secure session cookie in the prelude, then pages and /v1 with it', async () => {
    await withHandler({}, async (invoke) => {
      const login = await invoke('GET', '/console/login');
      expect(login.statusCode).toBe(200);
      expect(login.headers['content-security-policy']).toContain("default-src 'none'");
      expect(login.body).toContain('<label for="token">API token</label>');

      const same = { origin: ORIGIN, 'sec-fetch-site': 'same-origin' };
      const wrong = await invoke('POST', '/console/login', { headers: same, form: { token: 'wrong' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.cookies).toEqual([]);

      const signIn = await invoke('POST', '/console/login', { headers: same, form: { token: TOKEN } });
      expect(signIn.statusCode).toBe(303);
      expect(signIn.headers['location']).toBe('/console');
      expect(signIn.cookies).toHaveLength(1);
      expect(signIn.cookies[0]).toMatch(
        /^omni_console=[\w-]+\.[\w-]+; Path=\/; Expires=.*; HttpOnly; Secure; SameSite=Strict$/,
      );
      expect(signIn.headers['set-cookie']).toBeUndefined();
      const cookies = [signIn.cookies[0]?.split(';')[0] ?? ''];

      const home = await invoke('GET', '/console', { cookies });
      expect(home.statusCode).toBe(303);
      expect(home.headers['location']).toBe('/console/t/default/chat');
      const chat = await invoke('GET', '/console/t/default/chat', { cookies });
      expect(chat.statusCode).toBe(200);
      expect(chat.body).toContain('data-page="chat"');
      expect(chat.body).toMatch(/<meta name="csrf-token" content="[\w-]+"/);

      const usage = await invoke('GET', '/v1/usage/default', { cookies });
      expect(usage.statusCode).toBe(200);
      expect(usage.headers['content-type']).toMatch(/^application\/json/);
      // A state-changing call with the cookie alone (no CSRF header) is refused.
      const forged = await invoke('POST', '/v1/chat', { cookies, headers: same });
      expect(forged.statusCode).toBe(401);
      // Without the cookie the pages send the browser to sign in.
      expect((await invoke('GET', '/console/t/default/chat')).headers['location']).toBe(
        '/console/login?next=%2Fconsole%2Ft%2Fdefault%2Fchat',
      );
    });
  });

  it('OMNICLOUD_CONSOLE=0: no console, and a console cookie is no credential for /v1', async () => {
    await withHandler({ OMNICLOUD_CONSOLE: '0' }, async (invoke) => {
      expect((await invoke('GET', '/console/login')).statusCode).toBe(404);
      const bearer = await invoke('GET', '/v1/usage/default', {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(bearer.statusCode).toBe(200);
      expect((await invoke('GET', '/v1/usage/default', { cookies: ['omni_console=a.b'] })).statusCode).toBe(
        401,
      );
    });
  });
});
