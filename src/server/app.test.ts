import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeRunner, type FakeRunner } from '../../test/deploy/fake-runner.js';
import { ManualClock } from '../core/clock.js';
import { parseSessionId, type TenantId } from '../core/ids.js';
import { conversationKey } from '../core/keys.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createSqliteStorage, type SqliteStorage } from '../sessions/adapters/sqlite/index.js';
import { openSqliteUsageStore } from '../usage/index.js';
import { createApiApp } from './app.js';
import { createIamAuth, createTokenAuth } from './auth.js';

const TOKEN = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const SESSION = parseSessionId('6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab');
const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
const json = (body: unknown, headers: Record<string, string> = auth()) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

let dir: string;
let storage: SqliteStorage;
let runner: FakeRunner;
let logLines: string[];
let logger: Logger;

function app(
  options: { tenants?: 'all' | TenantId[]; maxBodyBytes?: number; maxChatBodyBytes?: number } = {},
) {
  return createApiApp({
    runner,
    storage,
    logger,
    auth: createTokenAuth([
      { token: TOKEN, tenants: options.tenants ?? ['default' as TenantId, 'acme' as TenantId] },
    ]),
    maxBodyBytes: options.maxBodyBytes,
    maxChatBodyBytes: options.maxChatBodyBytes,
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'omnicloud-api-'));
  storage = createSqliteStorage({ dataDir: dir });
  runner = createFakeRunner();
  logLines = [];
  logger = createLogger({ level: 'debug', write: (l) => logLines.push(l), secrets: [TOKEN] });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function seed(tenant = 'acme', chat = '42', thread = '7') {
  const key = conversationKey({ tenant, chat, thread });
  await storage.conversations.touch(key, SESSION);
  const main = { projectKey: tenant, sessionId: SESSION };
  await storage.transcripts.append(main, [
    { type: 'user', uuid: 'u1', message: { content: 'hi' } },
    { type: 'assistant', uuid: 'a1', message: { content: 'hello' } },
  ]);
  await storage.transcripts.append({ ...main, subpath: 'subagents/agent-abc' }, [
    { type: 'user', uuid: 's1' },
  ]);
  return { key, main };
}

describe('auth', () => {
  it('healthz needs no token', async () => {
    const res = await app().request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('missing / wrong / right token → 401 / 401 / 200', async () => {
    const body = { user_message: 'hi', chat_id: 1 };
    const missing = await app().request('/v1/chat', json(body, {}));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const wrong = await app().request('/v1/chat', json(body, auth(`${TOKEN}x`)));
    expect(wrong.status).toBe(401);
    const basic = await app().request('/v1/chat', json(body, { authorization: `Basic ${TOKEN}` }));
    expect(basic.status).toBe(401);
    const right = await app().request('/v1/chat', json(body));
    expect(right.status).toBe(200);
    expect(runner.calls).toHaveLength(1);
  });

  it('unknown routes under /v1 need auth first, then answer 404 JSON', async () => {
    expect((await app().request('/v1/nope')).status).toBe(401);
    const res = await app().request('/v1/nope', { headers: auth() });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
    expect((await app().request('/elsewhere')).status).toBe(404);
  });

  it('refuses a tenant outside the token scope (403) for chat and conversation routes', async () => {
    const scoped = app({ tenants: ['acme' as TenantId] });
    const chat = await scoped.request('/v1/chat', json({ user_message: 'hi', chat_id: 1, tenant: 'other' }));
    expect(chat.status).toBe(403);
    expect(((await chat.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const conv = await scoped.request('/v1/conversations/other/1/main', { headers: auth() });
    expect(conv.status).toBe(403);
    const del = await scoped.request('/v1/conversations/other/1/main', { method: 'DELETE', headers: auth() });
    expect(del.status).toBe(403);
    expect(runner.calls).toHaveLength(0);
  });

  it('IAM mode trusts the Function URL authorizer context and refuses requests without it', async () => {
    const iamApp = createApiApp({ runner, storage, logger, auth: createIamAuth('all') });
    const body = json({ user_message: 'hi', chat_id: 1 }, {});
    expect((await iamApp.request('/v1/chat', body)).status).toBe(401);
    const requestContext = { authorizer: { iam: { userArn: 'arn:aws:iam::123456789012:user/ops' } } };
    const ok = await iamApp.request('/v1/chat', json({ user_message: 'hi', chat_id: 1 }, {}), {
      requestContext,
    });
    expect(ok.status).toBe(200);
  });

  it('never writes the token to a log line', async () => {
    await app().request('/v1/chat', json({ user_message: 'hi', chat_id: 1 }));
    await app().request('/v1/chat', json({ user_message: 'hi', chat_id: 1 }, auth('wrong-token-value')));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(TOKEN);
  });
});

describe('POST /v1/chat', () => {
  it("keeps the original's request/response contract", async () => {
    const res = await app().request(
      '/v1/chat',
      json({
        user_message: 'hello',
        chat_id: -1001234,
        thread_id: 55,
        model: 'haiku',
        message_time: 1735689600,
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      response: 'echo: hello',
      session_id: SESSION,
      cost_usd: 0.0012,
      num_turns: 1,
      is_error: false,
      error_message: null,
    });
    const req = runner.calls[0]!;
    expect(req.key).toEqual({ tenant: 'default', chat: '-1001234', thread: '55' });
    expect(req.model).toBe('haiku');
    expect(req.messageTime?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('defaults the thread, accepts ISO message times and an explicit tenant', async () => {
    await app().request(
      '/v1/chat',
      json({ user_message: 'x', chat_id: 'ops', tenant: 'acme', message_time: '2025-02-03T04:05:06Z' }),
    );
    expect(runner.calls[0]?.key).toEqual({ tenant: 'acme', chat: 'ops', thread: 'main' });
    expect(runner.calls[0]?.messageTime?.toISOString()).toBe('2025-02-03T04:05:06.000Z');
  });

  it('passes request_id as the turn ledger id `api:<request_id>`, and rejects unsafe ones', async () => {
    await app().request('/v1/chat', json({ user_message: 'x', chat_id: 1, request_id: 'retry-Key_42' }));
    expect(runner.calls[0]?.requestId).toBe('api:retry-Key_42');
    await app().request('/v1/chat', json({ user_message: 'y', chat_id: 1 }));
    expect(runner.calls[1]?.requestId).toBeUndefined();
    for (const bad of ['a#b', '../x', '', 'x'.repeat(101), 'a:b']) {
      const res = await app().request('/v1/chat', json({ user_message: 'x', chat_id: 1, request_id: bad }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { issues: Array<{ path: string }> } };
      expect(body.error.issues.map((i) => i.path)).toContain('request_id');
    }
    expect(runner.calls).toHaveLength(2);
  });

  it('reports an agent failure as 200 with is_error, like the original', async () => {
    runner = createFakeRunner(() => ({
      is_error: true,
      error_message: 'model down',
      error_code: 'model_api_error',
    }));
    const res = await app().request('/v1/chat', json({ user_message: 'x', chat_id: 1 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      is_error: true,
      error_message: 'model down',
      error_code: 'model_api_error',
    });
  });

  it('message_time: every accepted value is a valid date; numbers past the range of a date are a 400', async () => {
    for (const [value, iso] of [
      [0, '1970-01-01T00:00:00.000Z'],
      [999_999_999_999, '+033658-09-27T01:46:39.000Z'], // the largest epoch in seconds
      [1e12, '2001-09-09T01:46:40.000Z'], // the smallest epoch in ms
      [8.64e15, '+275760-09-13T00:00:00.000Z'], // the largest date there is
      [1.5, '1970-01-01T00:00:01.500Z'],
    ] as const) {
      runner.calls.length = 0;
      const res = await app().request(
        '/v1/chat',
        json({ user_message: 'x', chat_id: 1, message_time: value }),
      );
      expect(res.status, String(value)).toBe(200);
      expect(runner.calls[0]?.messageTime?.toISOString(), String(value)).toBe(iso);
    }
    for (const value of [
      8.64e15 + 1,
      1e16,
      1e20,
      Number.MAX_VALUE,
      -1,
      '+275760-09-13T00:00:00.001Z',
      'x'.repeat(65),
    ]) {
      const res = await app().request(
        '/v1/chat',
        json({ user_message: 'x', chat_id: 1, message_time: value }),
      );
      expect(res.status, String(value)).toBe(400);
      const body = (await res.json()) as { error: { issues: Array<{ path: string }> } };
      expect(new Set(body.error.issues.map((i) => i.path))).toEqual(new Set(['message_time']));
    }
  });

  it('validation errors name the fields (400)', async () => {
    const res = await app().request(
      '/v1/chat',
      json({ chat_id: { nested: true }, message_time: 'yesterday-ish' }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; message: string; issues: Array<{ path: string }> };
    };
    expect(body.error.code).toBe('invalid_request');
    const paths = body.error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['user_message', 'chat_id', 'message_time']));
    expect(body.error.message).toContain('user_message');
  });

  it('hostile ids → 400 naming the field (the id grammar is part of the schema)', async () => {
    for (const [body, field] of [
      [{ chat_id: '../../etc', tenant: 'acme' }, 'chat_id'],
      [{ chat_id: 'ops', thread_id: 'a.b' }, 'thread_id'],
      [{ chat_id: 'ops', tenant: 'x'.repeat(33) }, 'tenant'],
      [{ chat_id: 'ops', model: 'haiku\u0000--help' }, 'model'],
    ] as const) {
      const res = await app().request('/v1/chat', json({ user_message: 'x', ...body }));
      expect(res.status, field).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; issues: Array<{ path: string }> } };
      expect(error.code).toBe('invalid_request');
      expect(error.issues.map((i) => i.path)).toEqual([field]);
    }
  });

  it('malformed JSON → 400 malformed_json; empty body too', async () => {
    const res = await app().request('/v1/chat', json('{"user_message": "x",'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('malformed_json');
    expect((await app().request('/v1/chat', json(''))).status).toBe(400);
  });

  it('huge body → 413 payload_too_large, with or without content-length (chat has its own, larger limit for files)', async () => {
    const big = JSON.stringify({ user_message: 'x'.repeat(5000), chat_id: 1 });
    // The general limit does not apply to POST /v1/chat, which may carry files…
    expect((await app({ maxBodyBytes: 1024 }).request('/v1/chat', json(big))).status).toBe(200);
    // …but does to every other route with a body.
    const decision = await app({ maxBodyBytes: 1024 }).request(
      '/v1/approvals/aAAAAAAAAAAAAAAA',
      json({ decision: 'deny', note: 'x'.repeat(5000) }),
    );
    expect(decision.status).toBe(413);
    runner.calls.length = 0;
    const res = await app({ maxChatBodyBytes: 1024 }).request('/v1/chat', json(big));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await app({ maxChatBodyBytes: 1024 }).request('/v1/chat', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(runner.calls).toHaveLength(0);
  });

  it('unexpected runner failures → 500 internal_error without stack or secret', async () => {
    runner.runTurn = async () => {
      throw new Error(`boom with ${TOKEN} inside\n    at secretFunction (/var/task/x.js:1:1)`);
    };
    const res = await app().request('/v1/chat', json({ user_message: 'x', chat_id: 1 }));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'internal error' } });
    expect(text).not.toContain(TOKEN);
    expect(logLines.join('\n')).not.toContain(TOKEN);
    expect(logLines.join('\n')).toContain('internal_error');
  });

  it('maps our errors to their status and code (lease conflict → 409)', async () => {
    const { LeaseConflictError } = await import('../core/errors.js');
    runner.runTurn = async () => {
      throw new LeaseConflictError('[sessions] conversation is busy');
    };
    const res = await app().request('/v1/chat', json({ user_message: 'x', chat_id: 1 }));
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: { code: 'conversation_busy', message: '[sessions] conversation is busy' },
    });
  });
});

describe('conversations', () => {
  it('GET returns the map record and transcript metadata', async () => {
    await seed();
    const res = await app().request('/v1/conversations/acme/42/7', { headers: auth() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      conversation: unknown;
      transcript: unknown;
      history_available: boolean;
      subagents: unknown[];
    };
    expect(body.conversation).toMatchObject({
      tenant: 'acme',
      chat: '42',
      thread: '7',
      session_id: SESSION,
      turns: 1,
    });
    expect(body.transcript).toMatchObject({ entries: 2 });
    expect(body.history_available).toBe(true);
    expect(body.subagents).toEqual([expect.objectContaining({ subpath: 'subagents/agent-abc', entries: 1 })]);
  });

  it('GET unknown conversation → 404; hostile ids → 400', async () => {
    const res = await app().request('/v1/conversations/acme/42/7', { headers: auth() });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('conversation_not_found');
    const hostile = await app().request('/v1/conversations/ACME..%2F/42/7', { headers: auth() });
    expect(hostile.status).toBe(400);
  });

  it('exports the main transcript as JSONL, a subagent by ?subpath=, everything by ?format=json', async () => {
    await seed();
    const main = await app().request('/v1/conversations/acme/42/7/transcript', { headers: auth() });
    expect(main.status).toBe(200);
    expect(main.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await main.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { uuid: string });
    expect(lines.map((l) => l.uuid)).toEqual(['u1', 'a1']);

    const sub = await app().request('/v1/conversations/acme/42/7/transcript?subpath=subagents/agent-abc', {
      headers: auth(),
    });
    expect((await sub.text()).trim()).toBe(JSON.stringify({ type: 'user', uuid: 's1' }));

    const missing = await app().request(
      '/v1/conversations/acme/42/7/transcript?subpath=subagents/agent-zzz',
      {
        headers: auth(),
      },
    );
    expect(missing.status).toBe(404);
    const bad = await app().request('/v1/conversations/acme/42/7/transcript?subpath=../x', {
      headers: auth(),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: Array<{ path: string }> } }).error.issues).toEqual([
      expect.objectContaining({ path: 'subpath' }),
    ]);
    // A format it does not know is a 400 naming it, not JSONL under another name.
    const md = await app().request('/v1/conversations/acme/42/7/transcript?format=md', { headers: auth() });
    expect(md.status).toBe(400);
    expect(((await md.json()) as { error: { issues: Array<{ path: string }> } }).error.issues).toEqual([
      expect.objectContaining({ path: 'format' }),
    ]);

    const all = await app().request('/v1/conversations/acme/42/7/transcript?format=json', {
      headers: auth(),
    });
    const envelope = (await all.json()) as {
      session_id: string;
      transcripts: Array<{ subpath: string | null; entries: unknown[] }>;
    };
    expect(envelope.session_id).toBe(SESSION);
    expect(envelope.transcripts.map((t) => [t.subpath, t.entries.length])).toEqual([
      [null, 2],
      ['subagents/agent-abc', 1],
    ]);
  });

  it('a mapped session whose transcript is gone is reported (409), never an empty export', async () => {
    const key = conversationKey({ tenant: 'acme', chat: '9', thread: 'main' });
    await storage.conversations.touch(key, SESSION);
    const res = await app().request('/v1/conversations/acme/9/main/transcript', { headers: auth() });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'session_history_unavailable',
    );
    const meta = await app().request('/v1/conversations/acme/9/main', { headers: auth() });
    expect(((await meta.json()) as { history_available: boolean }).history_available).toBe(false);
  });

  it('DELETE forgets the mapping and cascades to every transcript of the session', async () => {
    const { key, main } = await seed();
    const res = await app().request('/v1/conversations/acme/42/7', { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      deleted: true,
      session_id: SESSION,
      subagents_deleted: ['subagents/agent-abc'],
    });
    expect(await storage.conversations.get(key)).toBeNull();
    expect(await storage.transcripts.load(main)).toBeNull();
    expect(await storage.transcripts.load({ ...main, subpath: 'subagents/agent-abc' })).toBeNull();
    expect(await storage.transcripts.listSubkeys(main)).toEqual([]);
    const again = await app().request('/v1/conversations/acme/42/7', { method: 'DELETE', headers: auth() });
    expect(again.status).toBe(404);
  });

  it('DELETE while a turn holds the lease → 409 conversation_busy, nothing deleted', async () => {
    const { key } = await seed();
    const lease = await storage.leases.acquire(key, { ttlMs: 60_000 });
    const res = await app().request('/v1/conversations/acme/42/7', { method: 'DELETE', headers: auth() });
    expect(res.status).toBe(409);
    expect(await storage.conversations.get(key)).not.toBeNull();
    await storage.leases.release(lease);
  });
});

describe('injected clock', () => {
  const logged = (msg: string) =>
    logLines.map((l) => JSON.parse(l) as { msg: string; duration_ms?: number }).filter((l) => l.msg === msg);

  it('measures request and turn durations on the clock the app is given', async () => {
    const clock = new ManualClock();
    runner = createFakeRunner(() => {
      clock.advance(1_500);
      return {};
    });
    const api = createApiApp({
      runner,
      storage,
      logger,
      clock,
      auth: createTokenAuth([{ token: TOKEN, tenants: 'all' }]),
    });
    expect((await api.request('/v1/chat', json({ user_message: 'hi', chat_id: 1 }))).status).toBe(200);
    expect(logged('[server] chat turn').map((l) => l.duration_ms)).toEqual([1_500]);
    expect(logged('[server] request').map((l) => l.duration_ms)).toEqual([1_500]);
  });

  it("reports usage for the clock's day and month", async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 15, 12));
    const usage = await openSqliteUsageStore({ file: join(dir, 'usage.sqlite'), clock });
    try {
      await usage.record({
        ...conversationKey({ tenant: 'acme', chat: '42' }),
        sessionId: SESSION,
        model: 'claude-test',
        tokens: { input: 1, output: 2, cacheCreation: 0, cacheRead: 0 },
        costUsd: 0.5,
        durationMs: 10,
        at: clock.now(),
      });
      const api = createApiApp({
        runner,
        storage,
        usage,
        logger,
        clock,
        auth: createTokenAuth([{ token: TOKEN, tenants: 'all' }]),
      });
      const turns = async () => {
        const res = await api.request('/v1/usage/acme', { headers: auth() });
        const body = (await res.json()) as Record<'day' | 'month' | 'all', { turns: number }>;
        return [body.day.turns, body.month.turns, body.all.turns];
      };
      expect(await turns()).toEqual([1, 1, 1]);
      clock.set(Date.UTC(2025, 0, 16, 12));
      expect(await turns()).toEqual([0, 1, 1]);
      clock.set(Date.UTC(2025, 1, 1, 12));
      expect(await turns()).toEqual([0, 0, 1]);
    } finally {
      await usage.close();
    }
  });
});
