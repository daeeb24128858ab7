import type { Context, MiddlewareFn } from 'grammy';
import { systemClock, type Clock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';

/**
 * Idempotency record per Telegram update: Telegram re-sends an update it did not see acknowledged,
 * so the ingress claims `(tenant, update_id)` before acting. Backends: SQLite locally
 * (`createSqliteDeduper`), in memory for tests; a DynamoDB one (conditional put with a `ttl`) fits
 * the same two methods.
 */
export interface UpdateDeduper {
  /** True if this call claimed the update; false if it was claimed before and has not expired. */
  claim(tenant: TenantId, updateId: number): Promise<boolean>;
  /** Drop a claim whose processing failed, so Telegram's re-delivery is processed. */
  release(tenant: TenantId, updateId: number): Promise<void>;
}

/** Claims expire after a day by default (Telegram gives up re-sending long before). */
export const DEFAULT_DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

export function createMemoryDeduper(options: { ttlMs?: number; clock?: Clock } = {}): UpdateDeduper {
  const ttlMs = options.ttlMs ?? DEFAULT_DEDUPE_TTL_MS;
  const clock = options.clock ?? systemClock;
  const claims = new Map<string, number>();
  return {
    async claim(tenant, updateId) {
      const now = clock.now();
      for (const [id, expiresAt] of claims) {
        if (expiresAt > now) break; // insertion order = expiry order
        claims.delete(id);
      }
      const id = `${tenant}:${updateId}`;
      const expiresAt = claims.get(id);
      if (expiresAt !== undefined && expiresAt > now) return false;
      claims.delete(id);
      claims.set(id, now + ttlMs);
      return true;
    },
    async release(tenant, updateId) {
      claims.delete(`${tenant}:${updateId}`);
    },
  };
}

/**
 * First ingress middleware: a re-delivered update is acknowledged and dropped; if handling fails,
 * the claim is released and the error rethrown (so the webhook answers 5xx and Telegram retries).
 */
export function dedupeUpdates(deps: {
  tenant: TenantId;
  deduper: UpdateDeduper;
  logger: Logger;
}): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const updateId = ctx.update.update_id;
    if (!(await deps.deduper.claim(deps.tenant, updateId))) {
      deps.logger.info('telegram: duplicate update dropped', { updateId });
      return;
    }
    try {
      await next();
    } catch (err) {
      await deps.deduper.release(deps.tenant, updateId).catch(() => undefined);
      throw err;
    }
  };
}
