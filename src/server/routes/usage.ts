import { Hono } from 'hono';
import type { Clock } from '../../core/clock.js';
import { parseTenantId, type TenantId } from '../../core/ids.js';
// The value from its own module: `usage/index.ts` also holds the adapters' lazy imports, which a
// bundle of the server must not pull in (test/deploy/bundle.test.ts).
import { MAX_HISTORY_DAYS } from '../../usage/history.js';
import type { Budgets, UsageDay, UsageStore, UsageTotals } from '../../usage/index.js';
import { assertTenantAllowed } from '../auth.js';
import type { ApiEnv } from '../context.js';
import { ApiError } from '../errors.js';

export interface UsageRoutesDeps {
  usage: UsageStore;
  clock: Clock;
  /** A tenant's budgets (its tenants-file entry), shown next to its history; none = unlimited. */
  budgets?: (tenant: TenantId) => Budgets | undefined;
}

const DEFAULT_DAYS = 30;

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

function dayJson(d: UsageDay): Record<string, unknown> {
  return {
    date: d.date,
    ...totalsJson(d),
    models: d.models.map((m) => ({ model: m.model, turns: m.turns, cost_usd: m.costUsd })),
  };
}

/** `?days=` as digits 1..90, default 30; anything else is a 400 naming the field. */
function queryDays(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DAYS;
  const days = /^[0-9]{1,3}$/.test(value) ? Number(value) : NaN;
  if (days >= 1 && days <= MAX_HISTORY_DAYS) return days;
  throw new ApiError(400, 'invalid_request', 'invalid query parameter: days', [
    { path: 'days', message: `must be a whole number from 1 to ${MAX_HISTORY_DAYS}` },
  ]);
}

/**
 * `GET /v1/usage/:tenant` — the tenant's usage today and this month (UTC) and in total (all
 * retained turns): `{ tenant, day, month, all }`, each `{ turns, cost_usd, tokens }`.
 * `GET /v1/usage/:tenant/daily?days=30` — the last `days` (≤ 90) UTC days, oldest first:
 * `{ tenant, days: [{ date, turns, cost_usd, tokens, models: [{ model, turns, cost_usd }] }],
 * budget: { day_usd?, month_usd? } }` (the tenant's own budget, not its users'). The tenant must be
 * in the caller's scope (403); a hostile id is a 400 `invalid_id`.
 */
export function usageRoutes(deps: UsageRoutesDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const tenantOf = (raw: string): TenantId => parseTenantId(raw);

  app.get('/:tenant', async (c) => {
    const tenant = tenantOf(c.req.param('tenant'));
    assertTenantAllowed(c.get('principal'), tenant);
    const now = deps.clock.now();
    const [day, month, all] = await Promise.all([
      deps.usage.summary({ tenant }, 'day', now),
      deps.usage.summary({ tenant }, 'month', now),
      deps.usage.summary({ tenant }, 'all', now),
    ]);
    return c.json({ tenant, day: totalsJson(day), month: totalsJson(month), all: totalsJson(all) });
  });

  app.get('/:tenant/daily', async (c) => {
    const tenant = tenantOf(c.req.param('tenant'));
    assertTenantAllowed(c.get('principal'), tenant);
    const days = queryDays(c.req.query('days'));
    const history = await deps.usage.daily(tenant, days, deps.clock.now());
    const limit = deps.budgets?.(tenant)?.tenant;
    return c.json({
      tenant,
      days: history.map(dayJson),
      budget: {
        ...(limit?.dayUsd !== undefined ? { day_usd: limit.dayUsd } : {}),
        ...(limit?.monthUsd !== undefined ? { month_usd: limit.monthUsd } : {}),
      },
    });
  });
  return app;
}
