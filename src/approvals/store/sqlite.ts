import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../core/clock.js';
import { OmniError, StorageError, errorMessage } from '../../core/errors.js';
import { parseRequestId, parseSessionId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { parseApprovalId } from '../ids.js';
import type { ApprovalRecord, ApprovalStore } from '../types.js';
import {
  GRANT_RETENTION_MS,
  MAX_GRANTS,
  approvalRetentionMs,
  assertIdenticalRetry,
  checkId,
  checkKey,
  checkNewRecord,
  checkNotice,
  checkResolution,
  checkRule,
  checkTenant,
  failedResolve,
  isStatus,
  keepUntil,
  listLimit,
  tooManyGrants,
} from './record.js';

/**
 * The approval tables, created by the sessions' `prepareDatabase` in the same file (tables are
 * only ever added with `IF NOT EXISTS`). `approvals`: one row per (tenant, id), kept until
 * `keep_until` = `expires_at` + retention; `approval_grants`: one row per granted rule of a
 * (conversation, session), in `seq` order, all expiring together 25 days after the last grant.
 */
export const APPROVALS_DDL = `
CREATE TABLE IF NOT EXISTS approvals (
  tenant              TEXT NOT NULL,
  id                  TEXT NOT NULL,
  chat                TEXT NOT NULL,
  thread              TEXT NOT NULL,
  session_id          TEXT NOT NULL,
  tool_use_id         TEXT NOT NULL,
  tool                TEXT NOT NULL,
  input               TEXT NOT NULL,
  summary             TEXT NOT NULL,
  grant_rule          TEXT NOT NULL,
  requested_by        TEXT,
  created_at          INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL,
  keep_until          INTEGER NOT NULL,
  status              TEXT NOT NULL,
  resolved_at         INTEGER,
  resolved_by         TEXT,
  resolved_by_request TEXT,
  notice_chat         INTEGER,
  notice_message      INTEGER,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX IF NOT EXISTS approvals_by_conversation ON approvals (tenant, chat, thread, created_at, id);
CREATE INDEX IF NOT EXISTS approvals_by_expiry ON approvals (keep_until);

CREATE TABLE IF NOT EXISTS approval_grants (
  tenant      TEXT NOT NULL,
  chat        TEXT NOT NULL,
  thread      TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  rule        TEXT NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (tenant, chat, thread, session_id, seq),
  UNIQUE (tenant, chat, thread, session_id, rule)
);
CREATE INDEX IF NOT EXISTS approval_grants_by_expiry ON approval_grants (expires_at);
`;

interface Row {
  tenant: string;
  id: string;
  chat: string;
  thread: string;
  session_id: string;
  tool_use_id: string;
  tool: string;
  input: string;
  summary: string;
  grant_rule: string;
  requested_by: string | null;
  created_at: number;
  expires_at: number;
  keep_until: number;
  status: string;
  resolved_at: number | null;
  resolved_by: string | null;
  resolved_by_request: string | null;
  notice_chat: number | null;
  notice_message: number | null;
}

const SOURCE = 'approvals:sqlite';

function toRecord(row: Row): ApprovalRecord {
  if (!isStatus(row.status))
    throw new StorageError(`[${SOURCE}] approval ${row.id} has an unknown status`, {
      code: 'storage_corrupt',
    });
  const record: ApprovalRecord = {
    id: parseApprovalId(row.id),
    key: conversationKey({ tenant: row.tenant, chat: row.chat, thread: row.thread }),
    sessionId: parseSessionId(row.session_id),
    toolUseId: row.tool_use_id,
    tool: row.tool,
    input: row.input,
    summary: row.summary,
    grantRule: row.grant_rule,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    status: row.status,
  };
  if (row.requested_by !== null) record.requestedBy = row.requested_by;
  if (row.resolved_at !== null) record.resolvedAt = row.resolved_at;
  if (row.resolved_by !== null) record.resolvedBy = row.resolved_by;
  if (row.resolved_by_request !== null) record.resolvedByRequest = parseRequestId(row.resolved_by_request);
  if (row.notice_chat !== null && row.notice_message !== null)
    record.notice = { chatId: row.notice_chat, messageId: row.notice_message };
  return record;
}

function guarded<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof OmniError) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
    throw new StorageError(`[${SOURCE}] ${operation} failed: ${errorMessage(err)}`, {
      cause: err,
      code: busy ? 'storage_busy' : 'storage_error',
    });
  }
}

export interface SqliteApprovalStoreOptions {
  clock?: Clock;
  /** Days records are kept after `expiresAt` (default: the usage retention's default). */
  retentionDays?: number;
}

/**
 * Approvals in the sessions' SQLite file (the tables of `APPROVALS_DDL`, already created). Each
 * write is one statement or one IMMEDIATE transaction, so it is atomic across processes: `resolve`
 * is an `UPDATE … WHERE status = 'pending'`, which exactly one caller can win.
 */
export function createSqliteApprovalStore(
  db: Database.Database,
  options: SqliteApprovalStoreOptions = {},
): ApprovalStore {
  const clock = options.clock ?? systemClock;
  const retention = approvalRetentionMs(options.retentionDays);
  const now = () => Math.floor(clock.now());
  const conv = 'tenant = @tenant AND chat = @chat AND thread = @thread';
  const q = {
    get: db.prepare<{ tenant: string; id: string; now: number }, Row>(
      'SELECT * FROM approvals WHERE tenant = @tenant AND id = @id AND keep_until > @now',
    ),
    purge: db.prepare<[number]>('DELETE FROM approvals WHERE keep_until <= ?'),
    insert: db.prepare<Record<string, string | number | null>>(
      `INSERT OR IGNORE INTO approvals (tenant, id, chat, thread, session_id, tool_use_id, tool, input, summary,
         grant_rule, requested_by, created_at, expires_at, keep_until, status, notice_chat, notice_message)
       VALUES (@tenant, @id, @chat, @thread, @sessionId, @toolUseId, @tool, @input, @summary, @grantRule,
         @requestedBy, @createdAt, @expiresAt, @keepUntil, 'pending', @noticeChat, @noticeMessage)`,
    ),
    resolve: db.prepare<Record<string, string | number | null>, Row>(
      `UPDATE approvals SET status = @status, resolved_at = @at, resolved_by = @by, resolved_by_request = @requestId
       WHERE tenant = @tenant AND id = @id AND status = 'pending' AND keep_until > @now RETURNING *`,
    ),
    notice: db.prepare<Record<string, string | number>>(
      `UPDATE approvals SET notice_chat = @chatId, notice_message = @messageId
       WHERE tenant = @tenant AND id = @id AND keep_until > @now`,
    ),
    list: db.prepare<Record<string, string | number>, Row>(
      `SELECT * FROM approvals WHERE ${conv} AND keep_until > @now
       ORDER BY created_at DESC, id DESC LIMIT @limit`,
    ),
    grants: db.prepare<Record<string, string | number>, string>(
      `SELECT rule FROM approval_grants WHERE ${conv} AND session_id = @sessionId AND expires_at > @now ORDER BY seq`,
    ),
    purgeGrants: db.prepare<[number]>('DELETE FROM approval_grants WHERE expires_at <= ?'),
    addGrant: db.prepare<Record<string, string | number>>(
      `INSERT INTO approval_grants (tenant, chat, thread, session_id, seq, rule, expires_at)
       VALUES (@tenant, @chat, @thread, @sessionId,
         (SELECT COALESCE(MAX(seq), 0) + 1 FROM approval_grants WHERE ${conv} AND session_id = @sessionId),
         @rule, @expiresAt)`,
    ),
    refreshGrants: db.prepare<Record<string, string | number>>(
      `UPDATE approval_grants SET expires_at = @expiresAt WHERE ${conv} AND session_id = @sessionId`,
    ),
  };
  const grantParams = (key: ConversationKey, sessionId: string) => {
    const k = checkKey(key);
    return {
      tenant: k.tenant,
      chat: k.chat,
      thread: k.thread,
      sessionId: parseSessionId(sessionId),
      now: now(),
    };
  };

  return {
    async create(input) {
      const r = checkNewRecord(input);
      const t = now();
      const params = {
        tenant: r.key.tenant,
        id: r.id,
        chat: r.key.chat,
        thread: r.key.thread,
        sessionId: r.sessionId,
        toolUseId: r.toolUseId,
        tool: r.tool,
        input: r.input,
        summary: r.summary,
        grantRule: r.grantRule,
        requestedBy: r.requestedBy ?? null,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
        keepUntil: keepUntil(r, retention),
        noticeChat: r.notice?.chatId ?? null,
        noticeMessage: r.notice?.messageId ?? null,
      };
      const existing = guarded('create', () =>
        db
          .transaction(() => {
            q.purge.run(t);
            if (q.insert.run(params).changes > 0) return null;
            return q.get.get({ tenant: r.key.tenant, id: r.id, now: t }) ?? null;
          })
          .immediate(),
      );
      if (existing) assertIdenticalRetry(toRecord(existing), r, SOURCE);
    },

    async get(tenant, id) {
      const row = guarded('get', () =>
        q.get.get({ tenant: checkTenant(tenant), id: checkId(id), now: now() }),
      );
      return row ? toRecord(row) : null;
    },

    async resolve(tenant, id, input) {
      const key = { tenant: checkTenant(tenant), id: checkId(id) };
      const res = checkResolution(input);
      const t = now();
      const params = {
        ...key,
        now: t,
        status: res.status,
        at: res.at,
        by: res.by ?? null,
        requestId: res.requestId ?? null,
      };
      const [won, current] = guarded('resolve', () =>
        db
          .transaction((): [Row | undefined, Row | undefined] => {
            const row = q.resolve.get(params);
            return row ? [row, undefined] : [undefined, q.get.get({ ...key, now: t })];
          })
          .immediate(),
      );
      if (won) return { ok: true, record: toRecord(won) };
      return failedResolve(current ? toRecord(current) : null, res);
    },

    async setNotice(tenant, id, input) {
      const notice = checkNotice(input);
      const params = { tenant: checkTenant(tenant), id: checkId(id), now: now(), ...notice };
      guarded('setNotice', () => q.notice.run(params));
    },

    async grant(key, sessionId, input) {
      const params = grantParams(key, sessionId);
      const rule = checkRule(input);
      guarded('grant', () =>
        db
          .transaction(() => {
            q.purgeGrants.run(params.now);
            const rules = q.grants.pluck().all(params);
            if (rules.includes(rule)) return;
            if (rules.length >= MAX_GRANTS) tooManyGrants(SOURCE);
            const expiresAt = params.now + GRANT_RETENTION_MS;
            q.addGrant.run({ ...params, rule, expiresAt });
            q.refreshGrants.run({ ...params, expiresAt });
          })
          .immediate(),
      );
    },

    async grants(key, sessionId) {
      const params = grantParams(key, sessionId);
      return guarded('grants', () => q.grants.pluck().all(params));
    },

    async list(key, options) {
      const k = checkKey(key);
      const params = {
        tenant: k.tenant,
        chat: k.chat,
        thread: k.thread,
        now: now(),
        limit: listLimit(options),
      };
      return guarded('list', () => q.list.all(params)).map(toRecord);
    },
  };
}
