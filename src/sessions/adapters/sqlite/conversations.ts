import type Database from 'better-sqlite3';
import { CONVERSATION_RETENTION_DAYS, DAY_MS, type Clock } from '../../../core/clock.js';
import { parseSessionId, type SessionId, type TenantId } from '../../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../../approvals/ids.js';
import { parseSettingsChange, sessionTurns } from '../../settings.js';
import type { ConversationMap, ConversationRecord, SettingsChange, TouchOptions } from '../../types.js';
import { guarded } from './errors.js';

const RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;

interface Row {
  tenant: string;
  chat: string;
  thread: string;
  session_id: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
  turns: number;
  pending_approval: string | null;
  model: string | null;
  agent: string | null;
}

function toRecord(row: Row): ConversationRecord {
  return {
    key: conversationKey({ tenant: row.tenant, chat: row.chat, thread: row.thread }),
    sessionId: parseSessionId(row.session_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    turns: row.turns,
    ...(row.pending_approval !== null ? { pendingApproval: parseApprovalId(row.pending_approval) } : {}),
    ...(row.model !== null ? { model: row.model } : {}),
    ...(row.agent !== null ? { agent: row.agent } : {}),
  };
}

/**
 * The conversation map in one table. A record is live while `now < expires_at`; expired rows read
 * as absent and a `touch` on one starts it afresh (one upsert statement, atomic across processes).
 */
export function createSqliteConversations(db: Database.Database, clock: Clock): ConversationMap {
  const q = {
    get: db.prepare<[string, string, string, number], Row>(
      'SELECT * FROM conversations WHERE tenant = ? AND chat = ? AND thread = ? AND expires_at > ?',
    ),
    touch: db.prepare<Record<string, string | number | null>, Row>(
      `INSERT INTO conversations (tenant, chat, thread, session_id, created_at, updated_at, expires_at, turns,
         pending_approval)
       VALUES (@tenant, @chat, @thread, @sessionId, @now, @now, @expiresAt, 1, @pendingApproval)
       ON CONFLICT (tenant, chat, thread) DO UPDATE SET
         created_at = CASE WHEN conversations.expires_at <= @now THEN @now ELSE conversations.created_at END,
         turns = CASE WHEN conversations.expires_at <= @now THEN 1 ELSE conversations.turns + 1 END,
         model = CASE WHEN conversations.expires_at <= @now THEN NULL ELSE conversations.model END,
         agent = CASE WHEN conversations.expires_at <= @now THEN NULL ELSE conversations.agent END,
         session_id = @sessionId, updated_at = @now, expires_at = @expiresAt,
         pending_approval = @pendingApproval
       RETURNING *`,
    ),
    // A live record keeps its session, turns and pending request; an absent or expired one becomes a
    // record of a session chosen but not started (turns 0). `@model`/`@agent` are the new values.
    configure: db.prepare<Record<string, string | number | null>, Row>(
      `INSERT INTO conversations (tenant, chat, thread, session_id, created_at, updated_at, expires_at, turns,
         pending_approval, model, agent)
       VALUES (@tenant, @chat, @thread, @sessionId, @now, @now, @expiresAt, 0, NULL, @model, @agent)
       ON CONFLICT (tenant, chat, thread) DO UPDATE SET
         session_id = CASE WHEN conversations.expires_at <= @now THEN @sessionId ELSE conversations.session_id END,
         created_at = CASE WHEN conversations.expires_at <= @now THEN @now ELSE conversations.created_at END,
         turns = CASE WHEN conversations.expires_at <= @now THEN 0 ELSE conversations.turns END,
         pending_approval = CASE WHEN conversations.expires_at <= @now THEN NULL
           ELSE conversations.pending_approval END,
         model = CASE WHEN @keepModel = 1 AND conversations.expires_at > @now THEN conversations.model ELSE @model END,
         agent = CASE WHEN @keepAgent = 1 AND conversations.expires_at > @now THEN conversations.agent ELSE @agent END,
         updated_at = @now, expires_at = @expiresAt
       RETURNING *`,
    ),
    switchTo: db.prepare<Record<string, string | number | null>, Row>(
      `INSERT INTO conversations (tenant, chat, thread, session_id, created_at, updated_at, expires_at, turns,
         pending_approval)
       VALUES (@tenant, @chat, @thread, @sessionId, @now, @now, @expiresAt, @turns, NULL)
       ON CONFLICT (tenant, chat, thread) DO UPDATE SET
         created_at = CASE WHEN conversations.expires_at <= @now THEN @now ELSE conversations.created_at END,
         model = CASE WHEN conversations.expires_at <= @now THEN NULL ELSE conversations.model END,
         agent = CASE WHEN conversations.expires_at <= @now THEN NULL ELSE conversations.agent END,
         session_id = @sessionId, turns = @turns, pending_approval = NULL,
         updated_at = @now, expires_at = @expiresAt
       RETURNING *`,
    ),
    remove: db.prepare<[string, string, string], Row>(
      'DELETE FROM conversations WHERE tenant = ? AND chat = ? AND thread = ? RETURNING *',
    ),
    list: db.prepare<[string, number], Row>(
      'SELECT * FROM conversations WHERE tenant = ? AND expires_at > ? ORDER BY updated_at DESC, chat, thread',
    ),
  };

  return {
    async get(key: ConversationKey) {
      const row = guarded('conversations.get', () =>
        q.get.get(key.tenant, key.chat, key.thread, clock.now()),
      );
      return row ? toRecord(row) : null;
    },

    async touch(key: ConversationKey, sessionId: SessionId, options?: TouchOptions) {
      const now = Math.floor(clock.now());
      const pending = options?.pendingApproval;
      const params = {
        ...key,
        sessionId: parseSessionId(sessionId),
        now,
        expiresAt: now + RETENTION_MS,
        pendingApproval: pending === undefined ? null : parseApprovalId(pending),
      };
      const row = guarded('conversations.touch', () => q.touch.get(params));
      if (!row) throw new Error('[sessions:sqlite] conversations.touch returned no row');
      return toRecord(row);
    },

    async configure(key: ConversationKey, change: SettingsChange, newSessionId: SessionId) {
      const valid = parseSettingsChange(change);
      const now = Math.floor(clock.now());
      const params = {
        ...key,
        sessionId: parseSessionId(newSessionId),
        now,
        expiresAt: now + RETENTION_MS,
        model: valid.model ?? null,
        agent: valid.agent ?? null,
        keepModel: valid.model === undefined ? 1 : 0,
        keepAgent: valid.agent === undefined ? 1 : 0,
      };
      const row = guarded('conversations.configure', () => q.configure.get(params));
      if (!row) throw new Error('[sessions:sqlite] conversations.configure returned no row');
      return toRecord(row);
    },

    async switchTo(key: ConversationKey, sessionId: SessionId, turns: number) {
      const now = Math.floor(clock.now());
      const params = {
        ...key,
        sessionId: parseSessionId(sessionId),
        turns: sessionTurns(turns),
        now,
        expiresAt: now + RETENTION_MS,
      };
      const row = guarded('conversations.switchTo', () => q.switchTo.get(params));
      if (!row) throw new Error('[sessions:sqlite] conversations.switchTo returned no row');
      return toRecord(row);
    },

    async remove(key: ConversationKey) {
      const row = guarded('conversations.remove', () => q.remove.get(key.tenant, key.chat, key.thread));
      return row && row.expires_at > clock.now() ? toRecord(row) : null;
    },

    async list(tenant: TenantId) {
      return guarded('conversations.list', () => q.list.all(tenant, clock.now())).map(toRecord);
    },
  };
}
