import type { TenantId } from '../core/ids.js';

/**
 * Small conditional records that make proactive work happen once across containers: "this alarm
 * state change was investigated", "the over-budget notice was sent today", "at most 5 runs of this
 * route this hour", "this alert's topic is 812", "this /schedule add awaits confirmation". Keyed by
 * (tenant, key); every record expires (`ttlMs` after it was created) and an expired one is as good
 * as absent. Drivers: memory, SQLite, DynamoDB (one conditional write each), all passing
 * `./store/conformance.js`.
 *
 * Keys are `[A-Za-z0-9:_.#-]{1,200}` (`InvalidClaimError` otherwise); values are ≤ 8 KiB of UTF-8.
 */
export interface ClaimStore {
  /**
   * Stores `value` under `key` unless a live record is there. Returns whether this call created it
   * and the value now stored (the first writer's).
   */
  putIfAbsent(
    tenant: TenantId,
    key: string,
    value: string,
    ttlMs: number,
  ): Promise<{ created: boolean; value: string }>;
  /** The live value, or null. */
  get(tenant: TenantId, key: string): Promise<string | null>;
  /** Removes the record (no-op when absent). */
  delete(tenant: TenantId, key: string): Promise<void>;
  /**
   * Adds 1 to the counter under `key` unless it already reached `limit`; a new counter expires
   * `ttlMs` after its first count. True when this call counted (the caller may go ahead).
   */
  increment(tenant: TenantId, key: string, limit: number, ttlMs: number): Promise<boolean>;
}

export const CLAIM_KEY_RE = /^[A-Za-z0-9:_.#-]{1,200}$/;
export const MAX_CLAIM_VALUE_BYTES = 8 * 1024;
