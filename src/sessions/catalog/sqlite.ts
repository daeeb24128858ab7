import type Database from 'better-sqlite3';
import type { Clock } from '../../core/clock.js';
import { parseSessionId, parseTenantId, type SessionId, type TenantId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { guarded } from '../adapters/sqlite/errors.js';
import type { SessionCatalog, SessionFilter, SessionInfo, SessionTurn } from '../types.js';
import {
  catalogEntry,
  catalogKey,
  catalogQuery,
  isKept,
  keepUntil,
  sessionExists,
  withTurn,
} from './rules.js';

/**
 * The session catalog: one row per (tenant, session) in the sessions' database file (created by its
 * `prepareDatabase`). Listing by conversation or chat goes through `sessions_by_conversation`.
 * Rows are live while `keep_until` (epoch ms) is after now; a dead row is replaced in place by the
 * next write of its session and purged by `create`.
 */
export const CATALOG_DDL = `
CREATE TABLE IF NOT EXISTS sessions (
  tenant        TEXT NOT NULL,
  session_id    TEXT NOT NULL,
  chat          TEXT NOT NULL,
  thread        TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  turns         INTEGER NOT NULL,
  title         TEXT NOT NULL,
  cost_usd      REAL NOT NULL,
  model         TEXT,
  origin        TEXT NOT NULL CHECK (origin IN ('turn', 'import')),
  history_until INTEGER NOT NULL,
  keep_until    INTEGER NOT NULL,
  PRIMARY KEY (tenant, session_id)
);
CREATE INDEX IF NOT EXISTS sessions_by_conversation ON sessions (tenant, chat, thread, updated_at);
`;

interface Row {
  tenant: string;
  session_id: string;
  chat: string;
  thread: string;
  created_at: number;
  updated_at: number;
  turns: number;
  title: string;
  cost_usd: number;
  model: string | null;
  origin: 'turn' | 'import';
  history_until: number;
}

function toInfo(row: Row): SessionInfo {
  return {
    key: conversationKey({ tenant: row.tenant, chat: row.chat, thread: row.thread }),
    sessionId: parseSessionId(row.session_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    turns: row.turns,
    title: row.title,
    costUsd: row.cost_usd,
    model: row.model,
    origin: row.origin,
    historyUntil: row.history_until,
  };
}

function params(info: SessionInfo): Record<string, string | number | null> {
  return {
    tenant: info.key.tenant,
    session_id: info.sessionId,
    chat: info.key.chat,
    thread: info.key.thread,
    created_at: info.createdAt,
    updated_at: info.updatedAt,
    turns: info.turns,
    title: info.title,
    cost_usd: info.costUsd,
    model: info.model,
    origin: info.origin,
    history_until: info.historyUntil,
    keep_until: keepUntil(info),
  };
}

export function createSqliteSessionCatalog(db: Database.Database, clock: Clock): SessionCatalog {
  const now = () => Math.floor(clock.now());
  const columns =
    'tenant, session_id, chat, thread, created_at, updated_at, turns, title, cost_usd, model, origin, history_until, keep_until';
  const values =
    '@tenant, @session_id, @chat, @thread, @created_at, @updated_at, @turns, @title, @cost_usd, @model, @origin, @history_until, @keep_until';
  const q = {
    get: db.prepare<[string, string, number], Row>(
      'SELECT * FROM sessions WHERE tenant = ? AND session_id = ? AND keep_until > ?',
    ),
    put: db.prepare<Record<string, string | number | null>>(
      `INSERT OR REPLACE INTO sessions (${columns}) VALUES (${values})`,
    ),
    // Only where no live row holds the id (a dead one is replaced).
    create: db.prepare<Record<string, string | number | null>>(
      `INSERT INTO sessions (${columns}) VALUES (${values})
       ON CONFLICT (tenant, session_id) DO UPDATE SET
         chat = excluded.chat, thread = excluded.thread, created_at = excluded.created_at,
         updated_at = excluded.updated_at, turns = excluded.turns, title = excluded.title,
         cost_usd = excluded.cost_usd, model = excluded.model, origin = excluded.origin,
         history_until = excluded.history_until, keep_until = excluded.keep_until
         WHERE sessions.keep_until <= @now`,
    ),
    purge: db.prepare<[number]>('DELETE FROM sessions WHERE keep_until <= ?'),
    remove: db.prepare<[string, string], Row & { keep_until: number }>(
      'DELETE FROM sessions WHERE tenant = ? AND session_id = ? RETURNING *',
    ),
    byTenant: db.prepare<[string, number, number], Row>(
      'SELECT * FROM sessions WHERE tenant = ? AND keep_until > ? ORDER BY updated_at DESC, session_id LIMIT ?',
    ),
    byChat: db.prepare<[string, string, number, number], Row>(
      `SELECT * FROM sessions WHERE tenant = ? AND chat = ? AND keep_until > ?
       ORDER BY updated_at DESC, session_id LIMIT ?`,
    ),
    byConversation: db.prepare<[string, string, string, number, number], Row>(
      `SELECT * FROM sessions WHERE tenant = ? AND chat = ? AND thread = ? AND keep_until > ?
       ORDER BY updated_at DESC, session_id LIMIT ?`,
    ),
  };
  // Read and write in one immediate transaction: two processes recording turns of one session never
  // lose one (turns are serialised by the conversation's lease anyway).
  const record = db.transaction((key: ConversationKey, sessionId: SessionId, turn: SessionTurn) => {
    const row = q.get.get(key.tenant, sessionId, now());
    const next = withTurn(row ? toInfo(row) : null, key, sessionId, turn);
    q.put.run(params(next));
    return next;
  });

  return {
    async recordTurn(key, sessionId, turn) {
      const k = catalogKey(key);
      const id = parseSessionId(sessionId);
      return guarded('sessions.recordTurn', () => record.immediate(k, id, turn));
    },
    async create(info) {
      const entry = catalogEntry(info);
      const t = now();
      const changed = guarded('sessions.create', () => {
        q.purge.run(t);
        return q.create.run({ ...params(entry), now: t }).changes;
      });
      if (changed === 0) throw sessionExists(entry.sessionId);
    },
    async get(tenant: TenantId, sessionId: SessionId) {
      const row = guarded('sessions.get', () =>
        q.get.get(parseTenantId(tenant), parseSessionId(sessionId), now()),
      );
      return row ? toInfo(row) : null;
    },
    async list(tenant: TenantId, filter?: SessionFilter) {
      const t = parseTenantId(tenant);
      const { chat, thread, limit } = catalogQuery(filter);
      const rows = guarded('sessions.list', () =>
        chat === undefined
          ? q.byTenant.all(t, now(), limit)
          : thread === undefined
            ? q.byChat.all(t, chat, now(), limit)
            : q.byConversation.all(t, chat, thread, now(), limit),
      );
      return rows.map(toInfo);
    },
    async remove(tenant: TenantId, sessionId: SessionId) {
      const row = guarded('sessions.remove', () =>
        q.remove.get(parseTenantId(tenant), parseSessionId(sessionId)),
      );
      return row && isKept(toInfo(row), now()) ? toInfo(row) : null;
    },
  };
}
