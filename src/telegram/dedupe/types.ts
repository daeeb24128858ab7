import type { TenantId } from '../../core/ids.js';

/**
 * Idempotency record per Telegram update: Telegram re-sends an update it did not see acknowledged,
 * so the ingress claims `(tenant, update_id)` before acting. Drivers: in memory (`./memory.js`,
 * tests), SQLite locally (`./sqlite.js`), DynamoDB in the webhook Lambda (`./dynamo.js`); every one
 * passes `./conformance.js`.
 */
export interface UpdateDeduper {
  /** True if this call claimed the update; false if it was claimed before and has not expired. */
  claim(tenant: TenantId, updateId: number): Promise<boolean>;
  /** Drop a claim whose processing failed, so Telegram's re-delivery is processed. */
  release(tenant: TenantId, updateId: number): Promise<void>;
}

/** Claims expire after a day by default (Telegram gives up re-sending long before). */
export const DEFAULT_DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;
