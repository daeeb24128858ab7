import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../core/clock.js';
import { DEFAULT_DEDUPE_TTL_MS, type UpdateDeduper } from './types.js';

export interface SqliteDeduperOptions {
  /** An open database (shared with other local state), or a file path (`:memory:` for tests). */
  db?: Database.Database;
  path?: string;
  ttlMs?: number;
  clock?: Clock;
}

/** Local `UpdateDeduper`: one row per (tenant, update_id) with an expiry; expired rows are pruned. */
export function createSqliteDeduper(options: SqliteDeduperOptions): UpdateDeduper & { close(): void } {
  const owned = options.db === undefined;
  const db = options.db ?? new Database(options.path ?? ':memory:');
  if (owned) db.pragma('journal_mode = WAL'); // one small insert per update: no fsync per commit
  const ttlMs = options.ttlMs ?? DEFAULT_DEDUPE_TTL_MS;
  const clock = options.clock ?? systemClock;
  db.exec(`CREATE TABLE IF NOT EXISTS telegram_updates (
    tenant TEXT NOT NULL,
    update_id INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, update_id)
  ) WITHOUT ROWID`);
  // One statement: insert, or take over an expired claim; `changes` says whether we claimed it.
  const claim = db.prepare(`INSERT INTO telegram_updates (tenant, update_id, expires_at)
    VALUES (?, ?, ?)
    ON CONFLICT (tenant, update_id) DO UPDATE SET expires_at = excluded.expires_at
    WHERE telegram_updates.expires_at <= ?`);
  const release = db.prepare('DELETE FROM telegram_updates WHERE tenant = ? AND update_id = ?');
  const prune = db.prepare('DELETE FROM telegram_updates WHERE expires_at <= ?');
  let claimsSincePrune = 0;

  return {
    async claim(tenant, updateId) {
      const now = clock.now();
      if (++claimsSincePrune >= 1000) {
        claimsSincePrune = 0;
        prune.run(now);
      }
      return claim.run(tenant, updateId, now + ttlMs, now).changes === 1;
    },
    async release(tenant, updateId) {
      release.run(tenant, updateId);
    },
    close() {
      if (owned) db.close();
    },
  };
}
