import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import Database from 'better-sqlite3';
import type { TenantId } from '../../../core/ids.js';
import type { ConversationKey } from '../../../core/keys.js';
import type { RawBackend } from '../../conformance.js';

/**
 * Test-only: reads an adapter's database file with its own connection and its own SQL (never the
 * adapter's statements or key builders), for the conformance suite's write checks.
 */
export function openSqliteRaw(file: string): RawBackend & { close(): void } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const id = (key: SessionKey) => [key.projectKey, key.sessionId, key.subpath ?? ''].join('#');

  return {
    async readEntries(key) {
      const rows = db
        .prepare('SELECT json FROM entries WHERE transcript = ? ORDER BY seq')
        .pluck()
        .all(id(key)) as string[];
      return rows.length === 0 ? null : rows.map((row) => JSON.parse(row) as SessionStoreEntry);
    },

    async listTenantKeys(tenant: TenantId) {
      const rows = db
        .prepare(
          `SELECT id FROM transcripts WHERE tenant = @tenant
           UNION SELECT e.transcript FROM entries e JOIN transcripts t ON t.id = e.transcript WHERE t.tenant = @tenant
           UNION SELECT tenant || ':' || chat || ':' || thread FROM conversations WHERE tenant = @tenant
           UNION SELECT conversation FROM leases WHERE substr(conversation, 1, length(@tenant) + 1) = @tenant || ':'
           UNION SELECT tenant || ':' || chat || ':' || thread || '#' || request_id FROM turns WHERE tenant = @tenant
           UNION SELECT 'session:' || tenant || '#' || session_id FROM sessions WHERE tenant = @tenant`,
        )
        .pluck()
        .all({ tenant }) as string[];
      return rows.sort();
    },

    async readConversation(key: ConversationKey) {
      const row = db
        .prepare(
          `SELECT session_id, expires_at, turns, pending_approval, model, agent FROM conversations
           WHERE tenant = ? AND chat = ? AND thread = ?`,
        )
        .get(key.tenant, key.chat, key.thread) as
        | {
            session_id: string;
            expires_at: number;
            turns: number;
            pending_approval: string | null;
            model: string | null;
            agent: string | null;
          }
        | undefined;
      if (!row) return null;
      return {
        sessionId: row.session_id,
        expiresAt: row.expires_at,
        turns: row.turns,
        ...(row.pending_approval === null ? {} : { pendingApproval: row.pending_approval }),
        ...(row.model === null ? {} : { model: row.model }),
        ...(row.agent === null ? {} : { agent: row.agent }),
      };
    },

    async readSession(key: ConversationKey, sessionId: string) {
      const row = db
        .prepare(
          `SELECT tenant, chat, thread, session_id, created_at, updated_at, turns, title, cost_usd, model,
             origin, history_until, keep_until
           FROM sessions WHERE tenant = ? AND session_id = ? AND chat = ? AND thread = ?`,
        )
        .get(key.tenant, sessionId, key.chat, key.thread) as
        | {
            tenant: string;
            chat: string;
            thread: string;
            session_id: string;
            created_at: number;
            updated_at: number;
            turns: number;
            title: string;
            cost_usd: number;
            model: string | null;
            origin: string;
            history_until: number;
            keep_until: number;
          }
        | undefined;
      if (!row) return null;
      return {
        tenant: row.tenant,
        chat: row.chat,
        thread: row.thread,
        sessionId: row.session_id,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        turns: row.turns,
        title: row.title,
        costUsd: row.cost_usd,
        model: row.model,
        origin: row.origin,
        historyUntil: row.history_until,
        keepUntil: row.keep_until,
      };
    },

    async readTurn(key: ConversationKey, requestId: string) {
      const row = db
        .prepare(
          `SELECT state, session_id, entries_before, result, delivered, expires_at FROM turns
           WHERE tenant = ? AND chat = ? AND thread = ? AND request_id = ?`,
        )
        .get(key.tenant, key.chat, key.thread, requestId) as
        | {
            state: string;
            session_id: string;
            entries_before: number;
            result: string | null;
            delivered: number;
            expires_at: number;
          }
        | undefined;
      if (!row) return null;
      return {
        state: row.state,
        sessionId: row.session_id,
        entriesBefore: row.entries_before,
        result: row.result,
        delivered: row.delivered === 1,
        expiresAt: row.expires_at,
      };
    },

    async listAllKeys() {
      const rows = db
        .prepare(
          `SELECT id FROM transcripts UNION SELECT transcript FROM entries
           UNION SELECT tenant || ':' || chat || ':' || thread FROM conversations UNION SELECT conversation FROM leases
           UNION SELECT tenant || ':' || chat || ':' || thread || '#' || request_id FROM turns
           UNION SELECT 'session:' || tenant || '#' || session_id FROM sessions`,
        )
        .pluck()
        .all() as string[];
      return rows.sort();
    },

    close() {
      db.close();
    },
  };
}
