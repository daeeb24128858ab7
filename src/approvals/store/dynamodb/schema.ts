import { StorageError } from '../../../core/errors.js';
import { parseRequestId, parseSessionId, type SessionId, type TenantId } from '../../../core/ids.js';
import { conversationKey, conversationKeyString, type ConversationKey } from '../../../core/keys.js';
import { parseApprovalId } from '../../ids.js';
import type { ApprovalId, ApprovalRecord } from '../../types.js';
import { isStatus } from '../record.js';

/**
 * Approvals in the sessions' single DynamoDB table (`pk` = tenant, so no key of tenant A can
 * address tenant B's items):
 *
 * | item     | sk                                                   | attributes                                  |
 * |----------|------------------------------------------------------|---------------------------------------------|
 * | request  | `appr#<tenant>#<id>`                                 | the record's fields (`chat`, `thread` for the key), `keepUntil`, `ttl` |
 * | log      | `apprlog#<tenant>:<chat>:<thread>#<createdAt, 13 digits>#<id>` | `id`, `keepUntil`, `ttl`           |
 * | tenant log | `apprtlog#<createdAt, 13 digits>#<id>`             | `id`, `keepUntil`, `ttl`                    |
 * | grants   | `grant#<tenant>:<chat>:<thread>#<sessionId>`         | `rules` (list, in grant order), `expiresAt`, `ttl` |
 *
 * The log item is the conversation's index: `list` is one Query on its prefix, newest first
 * (`ScanIndexForward: false`), then a BatchGetItem of the requests; the tenant log item does the
 * same for `listTenant` across conversations. `create` writes all three in one transaction, so
 * every request is listed (requests created before the tenant log existed are in `list` only). `keepUntil` = `expiresAt` + retention (ms), `ttl` the
 * same in epoch seconds; expired items read as absent until DynamoDB deletes them.
 */
export const APPROVAL_PREFIX = 'appr#';
export const APPROVAL_LOG_PREFIX = 'apprlog#';
export const GRANT_PREFIX = 'grant#';
export const APPROVAL_TENANT_LOG_PREFIX = 'apprtlog#';

export function approvalSk(tenant: TenantId, id: ApprovalId): string {
  return `${APPROVAL_PREFIX}${tenant}#${id}`;
}

export function approvalLogPrefix(key: ConversationKey): string {
  return `${APPROVAL_LOG_PREFIX}${conversationKeyString(key)}#`;
}

export function approvalLogSk(record: Pick<ApprovalRecord, 'key' | 'createdAt' | 'id'>): string {
  return `${approvalLogPrefix(record.key)}${String(record.createdAt).padStart(13, '0')}#${record.id}`;
}

/** The prefix of every tenant log item (the partition is the tenant's). */
export function tenantLogPrefix(): string {
  return APPROVAL_TENANT_LOG_PREFIX;
}

export function tenantLogSk(record: Pick<ApprovalRecord, 'createdAt' | 'id'>): string {
  return `${APPROVAL_TENANT_LOG_PREFIX}${String(record.createdAt).padStart(13, '0')}#${record.id}`;
}

export function grantSk(key: ConversationKey, sessionId: SessionId): string {
  return `${GRANT_PREFIX}${conversationKeyString(key)}#${sessionId}`;
}

export const SOURCE = 'approvals:dynamodb';

/** `item` if it is still kept at `now` (`keepUntil` in epoch ms), else undefined. */
export function liveItem(
  item: Record<string, unknown> | undefined,
  now: number,
): Record<string, unknown> | undefined {
  return item !== undefined && typeof item.keepUntil === 'number' && item.keepUntil > now ? item : undefined;
}

function corrupt(sk: unknown): never {
  throw new StorageError(`[${SOURCE}] malformed approval item ${String(sk)}`, { code: 'storage_corrupt' });
}

function str(item: Record<string, unknown>, name: string): string {
  const value = item[name];
  return typeof value === 'string' ? value : corrupt(item.sk);
}

function num(item: Record<string, unknown>, name: string): number {
  const value = item[name];
  return typeof value === 'number' ? value : corrupt(item.sk);
}

/** A request item read back, checked (a malformed item is an operator problem, said clearly). */
export function toRecord(tenant: TenantId, item: Record<string, unknown>): ApprovalRecord {
  const status = item.status;
  if (!isStatus(status)) corrupt(item.sk);
  const record: ApprovalRecord = {
    id: parseApprovalId(item.id),
    key: conversationKey({ tenant, chat: item.chat, thread: item.thread }),
    sessionId: parseSessionId(item.sessionId),
    toolUseId: str(item, 'toolUseId'),
    tool: str(item, 'tool'),
    input: str(item, 'input'),
    summary: str(item, 'summary'),
    grantRule: str(item, 'grantRule'),
    createdAt: num(item, 'createdAt'),
    expiresAt: num(item, 'expiresAt'),
    status,
  };
  if (typeof item.requestedBy === 'string') record.requestedBy = item.requestedBy;
  if (typeof item.resolvedAt === 'number') record.resolvedAt = item.resolvedAt;
  if (typeof item.resolvedBy === 'string') record.resolvedBy = item.resolvedBy;
  if (typeof item.resolvedByRequest === 'string')
    record.resolvedByRequest = parseRequestId(item.resolvedByRequest);
  const notice = item.notice as { chatId?: unknown; messageId?: unknown } | undefined;
  if (notice && typeof notice.chatId === 'number' && typeof notice.messageId === 'number')
    record.notice = { chatId: notice.chatId, messageId: notice.messageId };
  return record;
}
