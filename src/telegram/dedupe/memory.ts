import { systemClock, type Clock } from '../../core/clock.js';
import { DEFAULT_DEDUPE_TTL_MS, type UpdateDeduper } from './types.js';

/** In-memory `UpdateDeduper` (tests, one process): claims in insertion order = expiry order. */
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
