import type Database from 'better-sqlite3';

/** Version of the usage tables, kept in `usage_meta` (the database's `user_version` belongs to sessions). */
export const USAGE_SCHEMA_VERSION = 2;

/**
 * Usage lives in its own tables, so it can share the sessions' database file. `usage_counters` has
 * one row per (tenant, counter key) — see `counters.ts` for the keys; `usage_turns` one row per turn.
 * Costs are integer micro-dollars; times and `expires_at` are epoch ms. `models` (v2) is a JSON array
 * of encoded model ids, set on a tenant's day counter only (`CounterValues.models`), else NULL.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS usage_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS usage_counters (
  tenant                 TEXT NOT NULL,
  counter                TEXT NOT NULL,
  turns                  INTEGER NOT NULL,
  input_tokens           INTEGER NOT NULL,
  output_tokens          INTEGER NOT NULL,
  cache_creation_tokens  INTEGER NOT NULL,
  cache_read_tokens      INTEGER NOT NULL,
  cost_micro_usd         INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  expires_at             INTEGER NOT NULL,
  models                 TEXT,
  PRIMARY KEY (tenant, counter)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_counters_by_expiry ON usage_counters (expires_at);

CREATE TABLE IF NOT EXISTS usage_turns (
  id                     INTEGER PRIMARY KEY,
  tenant                 TEXT NOT NULL,
  chat                   TEXT NOT NULL,
  thread                 TEXT NOT NULL,
  user_id                TEXT,
  session_id             TEXT NOT NULL,
  model                  TEXT NOT NULL,
  input_tokens           INTEGER NOT NULL,
  output_tokens          INTEGER NOT NULL,
  cache_creation_tokens  INTEGER NOT NULL,
  cache_read_tokens      INTEGER NOT NULL,
  cost_micro_usd         INTEGER NOT NULL,
  duration_ms            INTEGER NOT NULL,
  at                     INTEGER NOT NULL,
  expires_at             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_turns_by_tenant ON usage_turns (tenant, at);
CREATE INDEX IF NOT EXISTS usage_turns_by_expiry ON usage_turns (expires_at);
`;

/** Create the usage tables (idempotent; safe with several processes on one file). */
export function prepareUsageTables(db: Database.Database): void {
  db.transaction(() => {
    db.exec(DDL);
    const row = db.prepare("SELECT value FROM usage_meta WHERE key = 'schema_version'").get() as
      { value: string } | undefined;
    const version = row ? Number(row.value) : 0;
    if (version > USAGE_SCHEMA_VERSION) {
      throw new Error(`usage tables v${version} are newer than this build (v${USAGE_SCHEMA_VERSION})`);
    }
    if (version < 2) {
      // v1 → v2: the tenant day counters' model sets (older rows simply have none).
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('usage_counters');
      if (!columns.includes('models')) db.exec('ALTER TABLE usage_counters ADD COLUMN models TEXT');
    }
    if (version < USAGE_SCHEMA_VERSION) {
      db.prepare(
        "INSERT INTO usage_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(String(USAGE_SCHEMA_VERSION));
    }
  }).immediate();
}
