import { StorageError } from '../../../core/errors.js';
import { parseRequestId, parseSessionId } from '../../../core/ids.js';
import { conversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../ids.js';
import type { ApprovalRecord } from '../../types.js';
import { guarded as guardedSqlite } from '../../../sessions/adapters/sqlite/errors.js';
import { isStatus } from '../record.js';

/**
 * The approval tables, created by the sessions' `prepareDatabase` in the same file (tables are
 * only ever added with `IF NOT EXISTS`). `approvals`: one row per (tenant, id), kept until
 * `keep_until` = `expires_at` + retention (indexed by conversation for `list`, by tenant and time
 * for `listTenant`); `approval_grants`: one row per granted rule of a
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
CREATE INDEX IF NOT EXISTS approvals_by_tenant ON approvals (tenant, created_at, id);

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

export interface Row {
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

export const SOURCE = 'approvals:sqlite';

export function toRecord(row: Row): ApprovalRecord {
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

/** Runs one statement; driver errors become `StorageError` naming the operation. */
export function guarded<T>(operation: string, fn: () => T): T {
  return guardedSqlite(operation, fn, SOURCE);
}
