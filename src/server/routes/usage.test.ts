import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createFakeRunner } from '../../../test/deploy/fake-runner.js';
import { ManualClock } from '../../core/clock.js';
import { parseChatId, parseThreadId, type TenantId } from '../../core/ids.js';
import { createLogger } from '../../core/logger.js';
import { createMemoryStorage } from '../../sessions/adapters/memory/index.js';
import { createSqliteUsageStore } from '../../usage/adapters/sqlite/index.js';
import { createApiApp } from '../app.js';
import { createTokenAuth } from '../auth.js';

const ACME = 'k3v9-Qm2x-8Zp4-Lr7t-Wn5c-Hy6b-Fd1s-Jg0a';
const BETA = 'Zq8w-Ty3u-Pl0k-Mn5b-Vc2x-Za7s-Df4g-Hj9k';
const NOW = Date.UTC(2026, 11, 2, 12);
const acme = 'acme' as TenantId;

const db = new Database(':memory:');
const clock = new ManualClock(NOW);
const usage = createSqliteUsageStore({ db, clock });
afterAll(() => db.close());

const app = createApiApp({
  runner: createFakeRunner(),
  storage: createMemoryStorage(),
  logger: createLogger({ level: 'error', write: () => {} }),
  clock,
  usage,
  budgets: (tenant) =>
    tenant === acme ? { tenant: { dayUsd: 2, monthUsd: 40 }, user: { dayUsd: 1 } } : undefined,
  auth: createTokenAuth([
    { token: ACME, tenants: [acme] },
    { token: BETA, tenants: ['beta' as TenantId] },
  ]),
});

const get = (path: string, token = ACME) =>
  app.request(`/v1/usage/${path}`, { headers: { authorization: `Bearer ${token}` } });

describe('GET /v1/usage/:tenant/daily', () => {
  it('returns the last days with the split by model and the tenant budget', async () => {
    await usage.record({
      tenant: acme,
      chat: parseChatId(1),
      thread: parseThreadId(undefined),
      sessionId: 's',
      model: 'arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic#x',
      tokens: { input: 10, output: 5, cacheCreation: 0, cacheRead: 0 },
      costUsd: 0.25,
      durationMs: 10,
      at: NOW - 24 * 3600 * 1000,
    });
    const res = await get('acme/daily?days=3');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tenant: 'acme',
      days: [
        { date: '2026-11-30', turns: 0, cost_usd: 0, tokens: expect.any(Object), models: [] },
        {
          date: '2026-12-01',
          turns: 1,
          cost_usd: 0.25,
          tokens: { input: 10, output: 5, cache_creation: 0, cache_read: 0 },
          models: [
            {
              model: 'arn:aws:bedrock:us-east-1:1:inference-profile/us.anthropic#x',
              turns: 1,
              cost_usd: 0.25,
            },
          ],
        },
        { date: '2026-12-02', turns: 0, cost_usd: 0, tokens: expect.any(Object), models: [] },
      ],
      budget: { day_usd: 2, month_usd: 40 },
    });
    const byDefault = (await (await get('acme/daily')).json()) as { days: unknown[] };
    expect(byDefault.days).toHaveLength(30);
  });

  it('gives an empty budget object to a tenant without budgets', async () => {
    const body = (await (await get('beta/daily?days=1', BETA)).json()) as Record<string, unknown>;
    expect(body['budget']).toEqual({});
  });

  it('refuses a bad days value with a 400 naming the field', async () => {
    for (const days of ['0', '91', '1.5', 'abc', '', '-1', '1e1', '0030000']) {
      const res = await get(`acme/daily?days=${days}`);
      expect(res.status, days).toBe(400);
      const body = (await res.json()) as { error: { code: string; issues?: Array<{ path: string }> } };
      expect(body.error.code).toBe('invalid_request');
      expect(JSON.stringify(body)).toContain('days');
    }
  });

  it("refuses another tenant's history (403) and a hostile tenant id (400)", async () => {
    expect((await get('acme/daily', BETA)).status).toBe(403);
    expect((await get('ACME/daily')).status).toBe(400);
    expect((await get('acme/daily', 'wrong-token-0000000000000000000000000')).status).toBe(401);
  });
});
