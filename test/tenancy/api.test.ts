import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../src/app/lambda/api.js';
import { loadLambdaEnv } from '../../src/app/lambda/env.js';
import type { AppDeps } from '../../src/app/types.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import type { ApiEnv } from '../../src/server/context.js';
import {
  ALPHA_PROMPT,
  ALPHA_SKILL,
  BETA_PROMPT,
  BETA_SKILL,
  TOKENS,
  createTenancyFixture,
  sqliteRows,
  type TenancyFixture,
} from './fixture.js';

/**
 * Two tenants of one deployment behind the real API wiring (`buildApiApp`: tenants file, secret
 * references, per-tenant tokens, real runner + binary, SQLite), using the SAME chat id. Every
 * claim about storage is checked on the raw SQLite file, not through the adapter.
 */
let fx: TenancyFixture;
let model: ModelServer;
let app: Hono<ApiEnv>;
let deps: AppDeps;
let raw: Record<string, string>;

const CHAT = 'shared-chat';

async function start(): Promise<void> {
  ({ app, deps } = await buildApiApp(await loadLambdaEnv(raw)));
}

function call(token: string, method: string, path: string, body?: unknown) {
  return app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const chat = (token: string, tenant: string, text: string) =>
  call(token, 'POST', '/v1/chat', { tenant, chat_id: CHAT, user_message: text });

const dbFile = () => join(fx.dataDir, 'omnicloud.sqlite');

beforeAll(async () => {
  [fx, model] = await Promise.all([
    createTenancyFixture({
      alphaExtra: '    model: haiku',
      // Tiny daily budget: the first turn runs, everything after it is refused until midnight UTC.
      betaExtra: '    budgets:\n      tenant: { dayUsd: 0.000001 }',
    }),
    startModelServer(),
  ]);
  raw = {
    ...fx.secrets,
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_LOG_LEVEL: 'error',
    OMNICLOUD_STORAGE: 'sqlite',
    OMNICLOUD_DATA_DIR: fx.dataDir,
    OMNICLOUD_TENANTS_FILE: fx.tenantsFile,
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    ANTHROPIC_BASE_URL: model.url,
    API_AUTH_MODE: 'token',
  };
  await start();
}, 60_000);

afterAll(async () => {
  await deps?.close();
  await model?.close();
  await fx?.close();
});

describe('two tenants, one deployment, the same chat id — through the API', () => {
  let alphaSession = '';
  let betaSession = '';

  it('each tenant runs its own agent (prompt, skills, model) and gets its own session', async () => {
    model.requests.length = 0;
    const a = await chat(TOKENS.ALPHA_API_TOKEN, 'alpha', 'hello from alpha');
    expect(a.status).toBe(200);
    const aBody = (await a.json()) as { is_error: boolean; session_id: string; cost_usd: number };
    expect(aBody.is_error).toBe(false);
    alphaSession = aBody.session_id;
    const alphaRequests = JSON.stringify(model.requests.map((r) => r.body));
    expect(alphaRequests).toContain(ALPHA_PROMPT);
    expect(alphaRequests).toContain(ALPHA_SKILL);
    expect(alphaRequests).not.toContain(BETA_SKILL);
    expect(model.requests.every((r) => /haiku/.test(r.model))).toBe(true); // the tenant's model

    model.requests.length = 0;
    const b = await chat(TOKENS.BETA_API_TOKEN, 'beta', 'hello from beta');
    const bBody = (await b.json()) as { is_error: boolean; session_id: string; cost_usd: number };
    expect(bBody.is_error).toBe(false);
    expect(bBody.cost_usd).toBeGreaterThan(0);
    betaSession = bBody.session_id;
    const betaRequests = JSON.stringify(model.requests.map((r) => r.body));
    expect(betaRequests).toContain(BETA_PROMPT);
    expect(betaRequests).toContain(BETA_SKILL);
    expect(betaRequests).not.toContain(ALPHA_SKILL);
    expect(betaRequests).not.toContain('hello from alpha');
    expect(betaSession).not.toBe(alphaSession);

    // Raw backend: one row per tenant for the same chat, each pointing at its own session, and
    // each session's transcript stored under its own tenant only.
    const conversations = sqliteRows<{ tenant: string; chat: string; session_id: string }>(
      dbFile(),
      'SELECT tenant, chat, session_id FROM conversations ORDER BY tenant',
    );
    expect(conversations).toEqual([
      { tenant: 'alpha', chat: CHAT, session_id: alphaSession },
      { tenant: 'beta', chat: CHAT, session_id: betaSession },
    ]);
    const transcripts = sqliteRows<{ tenant: string; session_id: string }>(
      dbFile(),
      "SELECT DISTINCT tenant, session_id FROM transcripts WHERE subpath = '' ORDER BY tenant",
    );
    expect(transcripts).toEqual([
      { tenant: 'alpha', session_id: alphaSession },
      { tenant: 'beta', session_id: betaSession },
    ]);
    const betaText = sqliteRows<{ json: string }>(
      dbFile(),
      'SELECT e.json FROM entries e JOIN transcripts t ON t.id = e.transcript WHERE t.tenant = ?',
      'beta',
    )
      .map((r) => r.json)
      .join('\n');
    expect(betaText).toContain('hello from beta');
    expect(betaText).not.toContain('hello from alpha');

    // Workspaces: each tenant's skill installed in its own workspace only.
    const skill = (tenant: string, name: string) =>
      existsSync(join(fx.dataDir, 'tenants', tenant, 'work', '.claude', 'skills', name));
    expect([skill('alpha', ALPHA_SKILL), skill('alpha', BETA_SKILL)]).toEqual([true, false]);
    expect([skill('beta', BETA_SKILL), skill('beta', ALPHA_SKILL)]).toEqual([true, false]);
  });

  it("a tenant's token cannot read, list, overwrite or delete the other tenant's conversations (403)", async () => {
    const requestsBefore = model.requests.length;
    const attempts = [
      ['GET', `/v1/conversations/beta/${CHAT}/main`],
      ['GET', `/v1/conversations/beta/${CHAT}/main/transcript`],
      ['GET', `/v1/conversations/beta/${CHAT}/main/transcript?format=json`],
      ['GET', '/v1/conversations/beta'],
      ['DELETE', `/v1/conversations/beta/${CHAT}/main`],
      ['POST', `/v1/conversations/beta/${CHAT}/main/stop`],
      ['GET', '/v1/usage/beta'],
    ] as const;
    for (const [method, path] of attempts) {
      const res = await call(TOKENS.ALPHA_API_TOKEN, method, path);
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
    }
    const overwrite = await chat(TOKENS.ALPHA_API_TOKEN, 'beta', 'let me in');
    expect(overwrite.status).toBe(403);
    expect(model.requests.length).toBe(requestsBefore); // refused before any turn
    // Nothing of beta's changed on the raw backend.
    const beta = sqliteRows<{ session_id: string; turns: number }>(
      dbFile(),
      "SELECT session_id, turns FROM conversations WHERE tenant = 'beta'",
    );
    expect(beta).toEqual([{ session_id: betaSession, turns: 1 }]);
    // And the reverse direction.
    expect((await call(TOKENS.BETA_API_TOKEN, 'GET', `/v1/conversations/alpha/${CHAT}/main`)).status).toBe(
      403,
    );
    expect((await call(TOKENS.BETA_API_TOKEN, 'GET', '/v1/usage/alpha')).status).toBe(403);
  });

  it('its own token sees only its own conversation; the admin token sees both', async () => {
    const own = await call(TOKENS.ALPHA_API_TOKEN, 'GET', '/v1/conversations/alpha');
    expect(own.status).toBe(200);
    const listed = (await own.json()) as { conversations: Array<{ tenant: string; session_id: string }> };
    expect(listed.conversations).toEqual([
      expect.objectContaining({ tenant: 'alpha', session_id: alphaSession }),
    ]);

    const transcript = await call(
      TOKENS.ALPHA_API_TOKEN,
      'GET',
      `/v1/conversations/alpha/${CHAT}/main/transcript`,
    );
    const text = await transcript.text();
    expect(text).toContain('hello from alpha');
    expect(text).not.toContain('hello from beta');

    for (const tenant of ['alpha', 'beta']) {
      const res = await call(TOKENS.ADMIN_API_TOKEN, 'GET', `/v1/conversations/${tenant}/${CHAT}/main`);
      expect(res.status).toBe(200);
    }
  });

  it('GET /v1/usage/:tenant reports per-tenant totals, recorded per tenant on the raw backend', async () => {
    const res = await call(TOKENS.ALPHA_API_TOKEN, 'GET', '/v1/usage/alpha');
    expect(res.status).toBe(200);
    const usage = (await res.json()) as Record<'day' | 'month' | 'all', { turns: number; cost_usd: number }>;
    expect(usage.day.turns).toBe(1);
    expect(usage.month.turns).toBe(1);
    expect(usage.all.turns).toBe(1);
    expect(usage.all.cost_usd).toBeGreaterThan(0);
    const counters = sqliteRows<{ tenant: string; turns: number }>(
      dbFile(),
      "SELECT tenant, turns FROM usage_counters WHERE counter LIKE 'tenant#all%' ORDER BY tenant",
    );
    expect(counters.map((c) => [c.tenant, c.turns])).toEqual([
      ['alpha', 1],
      ['beta', 1],
    ]);
  });

  it('refuses a turn over the tenant budget with a clear message, before the model is called; survives a restart', async () => {
    const before = model.requests.length;
    const refused = await chat(TOKENS.BETA_API_TOKEN, 'beta', 'one more please');
    expect(refused.status).toBe(200);
    const body = (await refused.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      is_error: true,
      error_code: 'budget_exceeded',
      cost_usd: 0,
      session_id: betaSession,
    });
    expect(String(body['error_message'])).toMatch(
      /daily budget of this bot \(tenant "beta"\) is used up.*resets at 00:00 UTC/,
    );
    expect(model.requests.length).toBe(before);

    // Alpha has no budget: the same chat id in the other tenant still runs.
    const alpha = (await (await chat(TOKENS.ALPHA_API_TOKEN, 'alpha', 'still fine?')).json()) as {
      is_error: boolean;
    };
    expect(alpha.is_error).toBe(false);

    // A new process on the same file: the counters are still there, the refusal stands.
    await deps.close();
    await start();
    const afterRestart = model.requests.length;
    const again = (await (await chat(TOKENS.BETA_API_TOKEN, 'beta', 'after restart')).json()) as Record<
      string,
      unknown
    >;
    expect(again['error_code']).toBe('budget_exceeded');
    expect(model.requests.length).toBe(afterRestart);
    const beta = sqliteRows<{ turns: number }>(
      dbFile(),
      "SELECT turns FROM conversations WHERE tenant = 'beta'",
    );
    expect(beta).toEqual([{ turns: 1 }]); // refused turns never touched the conversation
  });

  it('refuses an unknown tenant even for the admin, and hostile tenant ids', async () => {
    const unknown = await chat(TOKENS.ADMIN_API_TOKEN, 'gamma', 'hi');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_tenant');
    expect((await call(TOKENS.ADMIN_API_TOKEN, 'GET', '/v1/usage/..%2Fbeta')).status).toBe(400);
    expect((await call('not-a-token', 'GET', '/v1/usage/alpha')).status).toBe(401);
  });
});
