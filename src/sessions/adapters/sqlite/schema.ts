import type Database from 'better-sqlite3';
import { APPROVALS_DDL } from '../../../approvals/store/sqlite/schema.js';
import { SCHEDULES_DDL } from '../../../schedules/store/sqlite/schema.js';
import { CATALOG_DDL } from '../../catalog/sqlite.js';

/** Bumped when the schema changes incompatibly; stored in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

/**
 * One database file holds everything. `transcripts` is the per-stream metadata (listSessions,
 * listSubkeys, stat, SDK summary sidecar); `entries` holds the JSON lines in `seq` order, deduped
 * by the partial unique index on (transcript, uuid). `leases` rows are never deleted, so a
 * conversation's fence token only ever grows. `turns` is the turn ledger (one row per conversation
 * and request id; expired rows are purged on `begin`). Tables are only ever added with
 * `IF NOT EXISTS`, so an older build still opens the file (the version is bumped for incompatible
 * changes only).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS transcripts (
  id          TEXT PRIMARY KEY,
  tenant      TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  subpath     TEXT NOT NULL,
  next_seq    INTEGER NOT NULL,
  entries     INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  mtime       INTEGER NOT NULL,
  summary     TEXT
);
CREATE INDEX IF NOT EXISTS transcripts_by_session ON transcripts (tenant, session_id, subpath);

CREATE TABLE IF NOT EXISTS entries (
  transcript  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  uuid        TEXT,
  json        TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_by_seq ON entries (transcript, seq);
CREATE UNIQUE INDEX IF NOT EXISTS entries_by_uuid ON entries (transcript, uuid) WHERE uuid IS NOT NULL;

CREATE TABLE IF NOT EXISTS conversations (
  tenant      TEXT NOT NULL,
  chat        TEXT NOT NULL,
  thread      TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  turns       INTEGER NOT NULL,
  PRIMARY KEY (tenant, chat, thread)
);
CREATE INDEX IF NOT EXISTS conversations_by_expiry ON conversations (expires_at);

CREATE TABLE IF NOT EXISTS turns (
  tenant         TEXT NOT NULL,
  chat           TEXT NOT NULL,
  thread         TEXT NOT NULL,
  request_id     TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('started', 'done')),
  session_id     TEXT NOT NULL,
  entries_before INTEGER NOT NULL,
  turns_before   INTEGER NOT NULL,
  started_at     INTEGER NOT NULL,
  completed_at   INTEGER,
  result         TEXT,
  delivered      INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  PRIMARY KEY (tenant, chat, thread, request_id)
);
CREATE INDEX IF NOT EXISTS turns_by_expiry ON turns (expires_at);

CREATE TABLE IF NOT EXISTS leases (
  conversation TEXT PRIMARY KEY,
  token        INTEGER NOT NULL,
  owner        TEXT NOT NULL,
  expires_at   INTEGER NOT NULL
);

-- A stop request names the lease token of the turn to stop (a later turn is not stopped by it).
CREATE TABLE IF NOT EXISTS lease_stops (
  conversation TEXT PRIMARY KEY,
  token        INTEGER NOT NULL
);
`;

/**
 * Nullable columns added to existing tables since the table was first created: added when missing
 * (an older build ignores them, so the version is not bumped).
 */
const COLUMNS_ADDED: Array<[table: string, column: string, type: string]> = [
  // The approval request the session's last turn ended on; every touch sets or clears it.
  ['conversations', 'pending_approval', 'TEXT'],
  // The conversation's own model and agent (`/model`, `/agent`); kept by touch and switch.
  ['conversations', 'model', 'TEXT'],
  ['conversations', 'agent', 'TEXT'],
];

function addMissingColumns(db: Database.Database): void {
  for (const [table, column, type] of COLUMNS_ADDED) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}

/** Connection settings safe for several processes on one file, then the schema (idempotent). */
export function prepareDatabase(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`database schema v${version} is newer than this build (v${SCHEMA_VERSION})`);
    }
    db.exec(DDL);
    db.exec(APPROVALS_DDL);
    db.exec(SCHEDULES_DDL);
    db.exec(CATALOG_DDL);
    addMissingColumns(db);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
