import Database from 'better-sqlite3';
import type { TenantId } from '../../../core/ids.js';
import type { RawUsageBackend, RawUsageCounter, RawUsageTurn } from '../../conformance.js';

/**
 * Test-only: reads the usage tables with its own connection and its own SQL (never the adapter's
 * statements or key builders), for the conformance suite's write checks.
 */
export function openSqliteUsageRaw(file: string): RawUsageBackend & { close(): void } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');

  return {
    async readCounter(tenant: TenantId, name: string) {
      const row = db
        .prepare(
          `SELECT turns, input_tokens AS inputTokens, output_tokens AS outputTokens,
             cache_creation_tokens AS cacheCreationTokens, cache_read_tokens AS cacheReadTokens,
             cost_micro_usd AS costMicroUsd, expires_at AS expiresAt
           FROM usage_counters WHERE tenant = ? AND counter = ?`,
        )
        .get(tenant, name) as RawUsageCounter | undefined;
      return row ?? null;
    },

    async readModelSet(tenant: TenantId, name: string) {
      const json = db
        .prepare('SELECT models FROM usage_counters WHERE tenant = ? AND counter = ?')
        .pluck()
        .get(tenant, name) as string | null | undefined;
      return typeof json === 'string' ? (JSON.parse(json) as string[]).sort() : null;
    },

    async listTurns(tenant: TenantId) {
      return db
        .prepare(
          `SELECT chat, thread, user_id AS userId, session_id AS sessionId, model,
             input_tokens AS inputTokens, output_tokens AS outputTokens,
             cache_creation_tokens AS cacheCreationTokens, cache_read_tokens AS cacheReadTokens,
             cost_micro_usd AS costMicroUsd, duration_ms AS durationMs, at, expires_at AS expiresAt
           FROM usage_turns WHERE tenant = ? ORDER BY at, id`,
        )
        .all(tenant) as RawUsageTurn[];
    },

    async listTenantKeys(tenant: TenantId) {
      const rows = db
        .prepare(
          `SELECT counter FROM usage_counters WHERE tenant = @tenant
           UNION ALL SELECT 'turn#' || id FROM usage_turns WHERE tenant = @tenant`,
        )
        .pluck()
        .all({ tenant }) as string[];
      return rows.sort();
    },

    close() {
      db.close();
    },
  };
}
