import { describe } from 'vitest';
import type { ManualClock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import { budgetTests } from './conformance/budgets.js';
import { historyTests } from './conformance/history.js';
import { isolationTests } from './conformance/isolation.js';
import { recordingTests } from './conformance/recording.js';
import { rolloverTests } from './conformance/rollover.js';
import type { UsageStore } from './types.js';

/**
 * The usage contract every backend must pass (test-only). A backend's test file calls
 * `runUsageConformance({ name, create })`; each test gets a fresh, empty backend. Writes are
 * checked through `raw`, which reads the backend with its own queries and its own spelling of the
 * layout (docs/tenants.md), so a bug mirrored in the adapter's read and write paths still fails.
 *
 * Counter names used by the suite (the tenant is the `tenant` column / the prefix of the DynamoDB `pk`):
 * `tenant#day#2025-01-31`, `tenant#month#2025-01`, `tenant#all`, `user#<id>#…`, `conv#<chat>:<thread>#…`,
 * `model#<encoded model>#day#2025-01-31`.
 */
export interface RawUsageCounter {
  turns: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  costMicroUsd: number;
  /** Epoch ms (DynamoDB: `ttl` × 1000). */
  expiresAt: number;
}

export interface RawUsageTurn {
  chat: string;
  thread: string;
  userId: string | null;
  sessionId: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  costMicroUsd: number;
  durationMs: number;
  at: number;
  expiresAt: number;
}

export interface RawUsageBackend {
  /**
   * One counter as stored (expired or not), or null. A backend that spreads a counter over
   * several items (DynamoDB's usage shards) returns their sum, with the latest expiry.
   */
  readCounter(tenant: TenantId, name: string): Promise<RawUsageCounter | null>;
  /**
   * The model set stored on a counter (the tenant's day counter), as stored: encoded model ids,
   * sorted; over shards their union. Null when the counter is absent or has no set.
   */
  readModelSet(tenant: TenantId, name: string): Promise<string[] | null>;
  /** Every raw turn record of a tenant, oldest first. */
  listTurns(tenant: TenantId): Promise<RawUsageTurn[]>;
  /** Every usage key of a tenant as the backend names it (counter names and turn ids), one per item. */
  listTenantKeys(tenant: TenantId): Promise<string[]>;
}

export interface UsageConformanceSubject {
  store: UsageStore;
  raw: RawUsageBackend;
  /** The clock the store was built with. */
  clock: ManualClock;
  /** Another store on the same backend and clock: a restart, or a second worker. */
  reopen(): Promise<UsageStore>;
  /** Close every store and remove what `create()` made. */
  cleanup(): Promise<void>;
}

export interface UsageConformanceHarness {
  name: string;
  create(options: { retentionDays?: number; clock: ManualClock }): Promise<UsageConformanceSubject>;
}

/** Registers the usage conformance `describe`/`it` blocks for one backend. */
export function runUsageConformance(harness: UsageConformanceHarness): void {
  describe(`usage conformance: ${harness.name}`, () => {
    recordingTests(harness);
    rolloverTests(harness);
    isolationTests(harness);
    budgetTests(harness);
    historyTests(harness);
  });
}
