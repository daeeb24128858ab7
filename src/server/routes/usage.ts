import { Hono } from 'hono';
import type { Clock } from '../../core/clock.js';
import { parseTenantId } from '../../core/ids.js';
import type { UsageStore, UsageTotals } from '../../usage/index.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';

function totalsJson(t: UsageTotals): Record<string, unknown> {
  return {
    turns: t.turns,
    cost_usd: t.costUsd,
    tokens: {
      input: t.tokens.input,
      output: t.tokens.output,
      cache_creation: t.tokens.cacheCreation,
      cache_read: t.tokens.cacheRead,
    },
  };
}

/**
 * `GET /v1/usage/:tenant` — the tenant's usage today and this month (UTC) and in total (all
 * retained turns): `{ tenant, day, month, all }`, each `{ turns, cost_usd, tokens }`. The tenant
 * must be in the caller's scope (403); a hostile id is a 400 `invalid_id`.
 */
export function usageRoutes(deps: { usage: UsageStore; clock: Clock }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get('/:tenant', async (c) => {
    const tenant = parseTenantId(c.req.param('tenant'));
    assertTenantAllowed(c.get('principal'), tenant);
    const now = deps.clock.now();
    const [day, month, all] = await Promise.all([
      deps.usage.summary({ tenant }, 'day', now),
      deps.usage.summary({ tenant }, 'month', now),
      deps.usage.summary({ tenant }, 'all', now),
    ]);
    return c.json({ tenant, day: totalsJson(day), month: totalsJson(month), all: totalsJson(all) });
  });
  return app;
}
