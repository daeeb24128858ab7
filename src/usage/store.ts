import { DAY_MS, systemClock, type Clock } from '../core/clock.js';
import { parseTenantId, type TenantId } from '../core/ids.js';
import { decideBudget, limitsToCheck } from './budget.js';
import {
  ZERO,
  counterKey,
  counterScope,
  countersOf,
  parseUserId,
  periodOf,
  storedTurn,
  type CounterValues,
  type CounterWrite,
  type StoredTurn,
} from './counters.js';
import { InvalidUsageError } from './errors.js';
import { readDaily } from './history.js';
import type { UsageStore, UsageTotals } from './types.js';

/** Default retention of raw turn records and counters (13 months of monthly history, and then some). */
export const USAGE_RETENTION_DAYS = 400;

/**
 * What a backend implements; `createUsageStore` builds the public behaviour on it once.
 * Keys come from `counters.ts` only; the tenant is always a separate, validated argument.
 */
export interface UsageBackend {
  /** Keep the raw turn and atomically add its values to every counter (creating or restarting expired ones). */
  write(turn: StoredTurn, counters: readonly CounterWrite[], now: number): Promise<void>;
  /**
   * Read counters of one tenant; absent and expired counters are left out of the map. A counter
   * written with `CounterWrite.model` comes back with its `models` set.
   */
  read(tenant: TenantId, keys: readonly string[], now: number): Promise<Map<string, CounterValues>>;
  close(): Promise<void>;
}

export interface UsageStoreOptions {
  clock?: Clock;
  /** How long raw turn records and counters are kept, in days after their period ends (default 400). */
  retentionDays?: number;
}

export function retentionMs(options: UsageStoreOptions): number {
  const days = options.retentionDays ?? USAGE_RETENTION_DAYS;
  if (!Number.isFinite(days) || days <= 0) {
    throw new InvalidUsageError(`[usage] retentionDays must be a positive number, got ${days}`);
  }
  return days * DAY_MS;
}

function totals(v: CounterValues): UsageTotals {
  return {
    turns: v.turns,
    tokens: { input: v.input, output: v.output, cacheCreation: v.cacheCreation, cacheRead: v.cacheRead },
    costUsd: v.costMicroUsd / 1_000_000,
  };
}

/** The `UsageStore` behaviour over a backend (validation, key building, budget decisions). */
export function createUsageStore(backend: UsageBackend, options: UsageStoreOptions = {}): UsageStore {
  const clock = options.clock ?? systemClock;
  const retention = retentionMs(options);

  return {
    async record(turn) {
      const stored = storedTurn(turn, retention);
      await backend.write(stored, countersOf(stored, retention), clock.now());
    },

    async summary(scope, window, now = clock.now()) {
      const { tenant, scope: s } = counterScope(scope);
      const key = counterKey(s, periodOf(window, now));
      const values = await backend.read(tenant, [key], now);
      return totals(values.get(key) ?? ZERO);
    },

    async checkBudget(check, budgets, now = clock.now()) {
      const tenant = parseTenantId(check.tenant);
      const userId =
        check.userId === undefined || check.userId === '' ? undefined : parseUserId(check.userId);
      const estimate = check.estimateUsd ?? 0;
      if (!Number.isFinite(estimate) || estimate < 0) {
        throw new InvalidUsageError('[usage] estimateUsd must be a non-negative number');
      }
      const limits = limitsToCheck(budgets, userId !== undefined);
      if (limits.length === 0) return { allowed: true };
      const keyOf = (scope: 'tenant' | 'user', period: 'day' | 'month') =>
        counterKey(
          scope === 'user' ? { kind: 'user', userId: userId as string } : { kind: 'tenant' },
          periodOf(period, now),
        );
      const values = await backend.read(
        tenant,
        limits.map((l) => keyOf(l.scope, l.period)),
        now,
      );
      const spent = (scope: 'tenant' | 'user', period: 'day' | 'month') =>
        (values.get(keyOf(scope, period))?.costMicroUsd ?? 0) / 1_000_000;
      return decideBudget(limits, spent, estimate, now, `this bot (tenant "${tenant}")`);
    },

    async daily(tenant, days, now = clock.now()) {
      return readDaily(backend, parseTenantId(tenant), days, now);
    },

    close: () => backend.close(),
  };
}
