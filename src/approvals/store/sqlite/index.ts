import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../../../core/clock.js';
import { parseSessionId } from '../../../core/ids.js';
import type { ConversationKey } from '../../../core/keys.js';
import type { ApprovalStore } from '../../types.js';
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
  keepUntil,
  listLimit,
  tooManyGrants,
} from '../record.js';
import { SOURCE, guarded, toRecord, type Row } from './schema.js';

export { APPROVALS_DDL } from './schema.js';

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
    listTenant: db.prepare<Record<string, string | number>, Row>(
      `SELECT * FROM approvals WHERE tenant = @tenant AND keep_until > @now
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

    async listTenant(tenant, options) {
      const params = { tenant: checkTenant(tenant), now: now(), limit: listLimit(options) };
      return guarded('listTenant', () => q.listTenant.all(params)).map(toRecord);
    },
  };
}
