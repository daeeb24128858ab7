import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../../core/clock.js';
import { parseTenantId } from '../../../core/ids.js';
import type { ClaimStore } from '../../claims.js';
import { assertClaimKey, assertClaimLimit, assertClaimTtl, assertClaimValue } from '../validate.js';
import { guarded } from './schema.js';

const SOURCE = 'claims:sqlite';

/**
 * Claims in the sessions' SQLite file (the `claims` table of `SCHEDULES_DDL`). Each write is one
 * upsert whose `DO UPDATE … WHERE` is the condition (the row is expired, or under the limit), so
 * it is atomic across processes; expiry is compared with the injected clock, never SQLite's.
 */
export function createSqliteClaimStore(db: Database.Database, options: { clock?: Clock } = {}): ClaimStore {
  const clock = options.clock ?? systemClock;
  const now = () => Math.floor(clock.now());
  const q = {
    purge: db.prepare<[number]>('DELETE FROM claims WHERE expires_at <= ?'),
    claim: db.prepare<Record<string, string | number>, string>(
      `INSERT INTO claims (tenant, key, value, count, expires_at) VALUES (@tenant, @key, @value, 0, @expiresAt)
       ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value, count = 0, expires_at = excluded.expires_at
         WHERE claims.expires_at <= @now
       RETURNING value`,
    ),
    get: db.prepare<Record<string, string | number>, string>(
      'SELECT value FROM claims WHERE tenant = @tenant AND key = @key AND expires_at > @now',
    ),
    delete: db.prepare<Record<string, string>>('DELETE FROM claims WHERE tenant = @tenant AND key = @key'),
    increment: db.prepare<Record<string, string | number>, number>(
      `INSERT INTO claims (tenant, key, value, count, expires_at) VALUES (@tenant, @key, '', 1, @expiresAt)
       ON CONFLICT (tenant, key) DO UPDATE SET
         value = CASE WHEN claims.expires_at <= @now THEN '' ELSE claims.value END,
         count = CASE WHEN claims.expires_at <= @now THEN 1 ELSE claims.count + 1 END,
         expires_at = CASE WHEN claims.expires_at <= @now THEN excluded.expires_at ELSE claims.expires_at END
         WHERE claims.expires_at <= @now OR claims.count < @limit
       RETURNING count`,
    ),
  };
  const address = (tenant: string, key: string) => {
    const checked = parseTenantId(tenant);
    assertClaimKey(key);
    return { tenant: checked, key };
  };

  return {
    async putIfAbsent(tenant, key, value, ttlMs) {
      const params = address(tenant, key);
      assertClaimValue(value);
      assertClaimTtl(ttlMs);
      const t = now();
      return guarded(
        'putIfAbsent',
        () =>
          db
            .transaction(() => {
              q.purge.run(t);
              const created = q.claim.pluck().get({ ...params, value, now: t, expiresAt: t + ttlMs });
              if (created !== undefined) return { created: true, value: created };
              return { created: false, value: q.get.pluck().get({ ...params, now: t }) ?? '' };
            })
            .immediate(),
        SOURCE,
      );
    },

    async get(tenant, key) {
      const params = { ...address(tenant, key), now: now() };
      return guarded('get', () => q.get.pluck().get(params), SOURCE) ?? null;
    },

    async delete(tenant, key) {
      const params = address(tenant, key);
      guarded('delete', () => q.delete.run(params), SOURCE);
    },

    async increment(tenant, key, limit, ttlMs) {
      const params = address(tenant, key);
      assertClaimLimit(limit);
      assertClaimTtl(ttlMs);
      if (limit < 1) return false;
      const t = now();
      const count = guarded(
        'increment',
        () => q.increment.pluck().get({ ...params, now: t, expiresAt: t + ttlMs, limit }),
        SOURCE,
      );
      return count !== undefined;
    },
  };
}
