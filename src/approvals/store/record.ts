import { CONVERSATION_RETENTION_DAYS, DAY_MS } from '../../core/clock.js';
import { parseRequestId, parseSessionId, parseTenantId } from '../../core/ids.js';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import { ApprovalExistsError, InvalidApprovalError } from '../errors.js';
import { parseApprovalId } from '../ids.js';
import {
  APPROVAL_DECISIONS,
  type ApprovalId,
  type ApprovalNotice,
  type ApprovalRecord,
  type ApprovalResolution,
  type ApprovalStore,
  type ResolveOutcome,
} from '../types.js';

/**
 * What every approval-store backend shares: bounds, validation (before any read or write), the
 * identical-retry rule of `create`, and the retention horizons. Backends only store and fetch.
 */

/** `input`: UTF-8 bytes (the runner caps it at 16 KiB before it gets here). */
export const MAX_INPUT_BYTES = 16 * 1024;
export const MAX_SUMMARY_CHARS = 2000;
/** A grant rule, and a record's `grantRule`. */
export const MAX_RULE_CHARS = 1000;
/** "Allow in this conversation" rules per (conversation, session). */
export const MAX_GRANTS = 100;
/** `toolUseId`, `tool`, `requestedBy`, `resolvedBy`. */
export const MAX_NAME_CHARS = 256;
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 200;
/**
 * Records are kept this long after `expiresAt` unless told otherwise: the usage retention's default
 * (`USAGE_RETENTION_DAYS`; equal by test, not by import, so approvals/ does not load usage/).
 */
export const DEFAULT_APPROVAL_RETENTION_DAYS = 400;
/** A session's grants are kept this long after its last `grant` (the conversation map's horizon). */
export const GRANT_RETENTION_MS = CONVERSATION_RETENTION_DAYS * DAY_MS;

const RESOLUTIONS: readonly string[] = [...APPROVAL_DECISIONS, 'expired', 'superseded', 'cancelled'];
const STATUSES: readonly string[] = ['pending', ...RESOLUTIONS];
/** C0/C1 controls (tabs and newlines are fine in inputs and summaries, not in names or rules). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** The retention (ms after `expiresAt`) for a `retentionDays` option. */
export function approvalRetentionMs(days: number = DEFAULT_APPROVAL_RETENTION_DAYS): number {
  if (!Number.isFinite(days) || days <= 0) {
    throw new InvalidApprovalError(`[approvals] retentionDays must be a positive number, got ${days}`);
  }
  return days * DAY_MS;
}

/** Until when (epoch ms, exclusive) a record is kept: `expiresAt + retention`. */
export function keepUntil(record: Pick<ApprovalRecord, 'expiresAt'>, retentionMs: number): number {
  return record.expiresAt + retentionMs;
}

function fail(what: string): never {
  throw new InvalidApprovalError(`[approvals] ${what}`);
}

function text(
  value: unknown,
  field: string,
  max: number,
  opts: { min?: number; controls?: boolean } = {},
): string {
  if (typeof value !== 'string') fail(`${field} must be a string`);
  const min = opts.min ?? 1;
  if (value.length < min || value.length > max)
    fail(`${field} must be ${min}–${max} characters, got ${value.length}`);
  if (!opts.controls && hasControl(value)) fail(`${field} must not contain control characters`);
  if (value.includes('\u0000')) fail(`${field} must not contain NUL`);
  return value;
}

function time(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(`${field} must be a non-negative integer (epoch ms)`);
  return value;
}

/** Re-validate a conversation key (it may come from anywhere as a plain object). */
export function checkKey(key: ConversationKey): ConversationKey {
  if (typeof key !== 'object' || key === null) fail('key must be a conversation key');
  return conversationKey({ tenant: key.tenant, chat: key.chat, thread: key.thread });
}

export function checkTenant(tenant: unknown) {
  return parseTenantId(tenant);
}

export function checkId(id: unknown): ApprovalId {
  return parseApprovalId(id);
}

export function checkNotice(notice: ApprovalNotice): ApprovalNotice {
  if (typeof notice !== 'object' || notice === null) fail('notice must be { chatId, messageId }');
  const { chatId, messageId } = notice;
  if (typeof chatId !== 'number' || !Number.isSafeInteger(chatId)) fail('notice.chatId must be an integer');
  if (typeof messageId !== 'number' || !Number.isSafeInteger(messageId) || messageId <= 0)
    fail('notice.messageId must be a positive integer');
  return { chatId, messageId };
}

/** A grant rule: 1–1000 characters, no control characters. */
export function checkRule(rule: unknown): string {
  return text(rule, 'grant rule', MAX_RULE_CHARS);
}

/**
 * Validate a record given to `create` and return a fresh copy holding only the record's fields.
 * It must be `pending` with no resolution fields; sizes are bounded.
 */
export function checkNewRecord(record: ApprovalRecord): ApprovalRecord {
  if (typeof record !== 'object' || record === null) fail('record must be an object');
  const id = parseApprovalId(record.id);
  const key = checkKey(record.key);
  if (record.status !== 'pending') fail(`a new request must be pending, got ${String(record.status)}`);
  if (
    record.resolvedAt !== undefined ||
    record.resolvedBy !== undefined ||
    record.resolvedByRequest !== undefined
  )
    fail('a new request must not carry resolution fields');
  if (typeof record.input !== 'string') fail('input must be a string');
  const inputBytes = Buffer.byteLength(record.input, 'utf8');
  if (inputBytes > MAX_INPUT_BYTES)
    fail(`input is ${inputBytes} bytes; at most ${MAX_INPUT_BYTES} are stored`);
  if (record.input.includes('\u0000')) fail('input must not contain NUL');
  const createdAt = time(record.createdAt, 'createdAt');
  const expiresAt = time(record.expiresAt, 'expiresAt');
  if (expiresAt < createdAt) fail('expiresAt must not be before createdAt');
  const out: ApprovalRecord = {
    id,
    key,
    sessionId: parseSessionId(record.sessionId),
    toolUseId: text(record.toolUseId, 'toolUseId', MAX_NAME_CHARS),
    tool: text(record.tool, 'tool', MAX_NAME_CHARS),
    input: record.input,
    summary: text(record.summary, 'summary', MAX_SUMMARY_CHARS, { min: 0, controls: true }),
    grantRule: text(record.grantRule, 'grantRule', MAX_RULE_CHARS, { min: 0 }),
    createdAt,
    expiresAt,
    status: 'pending',
  };
  if (record.requestedBy !== undefined)
    out.requestedBy = text(record.requestedBy, 'requestedBy', MAX_NAME_CHARS);
  if (record.notice !== undefined) out.notice = checkNotice(record.notice);
  return out;
}

/** A resolution as validated: `status` is a resolution (never `pending`). */
export interface Resolution {
  status: ApprovalResolution;
  at: number;
  by?: string;
  requestId?: ApprovalRecord['resolvedByRequest'];
}

export function checkResolution(resolution: Parameters<ApprovalStore['resolve']>[2]): Resolution {
  if (typeof resolution !== 'object' || resolution === null) fail('resolution must be an object');
  if (!RESOLUTIONS.includes(resolution.status as string))
    fail(`resolution status must be one of ${RESOLUTIONS.join(', ')}`);
  const out: Resolution = { status: resolution.status, at: time(resolution.at, 'resolution time') };
  if (resolution.by !== undefined) out.by = text(resolution.by, 'resolvedBy', MAX_NAME_CHARS);
  if (resolution.requestId !== undefined) out.requestId = parseRequestId(resolution.requestId);
  return out;
}

/** The record after `resolution` was applied to it. */
export function applyResolution(record: ApprovalRecord, resolution: Resolution): ApprovalRecord {
  const out: ApprovalRecord = { ...record, status: resolution.status, resolvedAt: resolution.at };
  if (resolution.by !== undefined) out.resolvedBy = resolution.by;
  if (resolution.requestId !== undefined) out.resolvedByRequest = resolution.requestId;
  return out;
}

/**
 * The outcome of a resolve whose condition (`pending`) failed: a repeat by the same work item
 * (`requestId` = the stored `resolvedByRequest`) succeeds with the stored record.
 */
export function failedResolve(current: ApprovalRecord | null, resolution: Resolution): ResolveOutcome {
  const repeat =
    current !== null &&
    resolution.requestId !== undefined &&
    current.status !== 'pending' &&
    current.resolvedByRequest === resolution.requestId;
  return repeat ? { ok: true, record: current } : { ok: false, record: current };
}

/** The fields `create` wrote: what an identical retry must repeat (status, resolution and notice may have moved on since). */
function creationFields(r: ApprovalRecord): unknown[] {
  return [
    r.id,
    r.key.tenant,
    r.key.chat,
    r.key.thread,
    r.sessionId,
    r.toolUseId,
    r.tool,
    r.input,
    r.summary,
    r.grantRule,
    r.requestedBy ?? null,
    r.createdAt,
    r.expiresAt,
  ];
}

/** `create` found `existing` under the id: succeed silently for an identical retry, else refuse. */
export function assertIdenticalRetry(existing: ApprovalRecord, record: ApprovalRecord, source: string): void {
  if (JSON.stringify(creationFields(existing)) === JSON.stringify(creationFields(record))) return;
  throw new ApprovalExistsError(`[${source}] approval ${record.id} already exists with other content`);
}

/** `list`'s limit: default 50, clamped to 1–200. */
export function listLimit(options?: { limit?: number }): number {
  const limit = options?.limit;
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIST_LIMIT;
  return Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Whether a value read back is a known status (stored data is checked, not trusted). */
export function isStatus(value: unknown): value is ApprovalRecord['status'] {
  return typeof value === 'string' && STATUSES.includes(value);
}

/** Thrown when a grant would exceed `MAX_GRANTS` for a session. */
export function tooManyGrants(source: string): never {
  throw new InvalidApprovalError(
    `[${source}] at most ${MAX_GRANTS} rules may be granted per session; refusing another`,
  );
}
