import type { SessionKey } from '@anthropic-ai/claude-agent-sdk';
import { InvalidIdError } from './errors.js';
import {
  parseChatId,
  parseRequestId,
  parseSessionId,
  parseTenantId,
  parseThreadId,
  type ChatId,
  type RequestId,
  type SessionId,
  type TenantId,
  type ThreadId,
} from './ids.js';

/**
 * The one place where storage keys and paths are built. Adapters call these with what the SDK or
 * a caller handed them and get validated parts back; they never concatenate raw strings.
 */

/** A conversation: one Telegram chat + topic (or one API chat + thread) of one tenant. */
export interface ConversationKey {
  readonly tenant: TenantId;
  readonly chat: ChatId;
  readonly thread: ThreadId;
}

export function conversationKey(input: {
  tenant: unknown;
  chat: unknown;
  thread?: unknown;
}): ConversationKey {
  return {
    tenant: parseTenantId(input.tenant),
    chat: parseChatId(input.chat),
    thread: parseThreadId(input.thread),
  };
}

/** Whether two keys name the same conversation. */
export function sameConversation(a: ConversationKey, b: ConversationKey): boolean {
  return a.tenant === b.tenant && a.chat === b.chat && a.thread === b.thread;
}

/** `tenant:chat:thread` — safe as a map key, an SQS MessageGroupId and a log field (no ':' in parts). */
export function conversationKeyString(key: ConversationKey): string {
  return `${key.tenant}:${key.chat}:${key.thread}`;
}

/**
 * The SDK's `projectKey` for a tenant. It is also the pinned `CLAUDE_CODE_PROJECT_DIR_NAME`, so any
 * container resumes any session of the tenant, whatever its cwd.
 */
export function projectKeyForTenant(tenant: TenantId): string {
  return tenant;
}

/** The tenant a `projectKey` from the SDK belongs to (rejects anything we did not issue). */
export function tenantFromProjectKey(projectKey: string): TenantId {
  return parseTenantId(projectKey);
}

const SUBPATH_SEGMENT_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A validated transcript address: tenant, session and optional subagent subpath. */
export interface TranscriptAddress {
  readonly tenant: TenantId;
  readonly sessionId: SessionId;
  /** `undefined` for the main transcript, e.g. `subagents/agent-abc` for a subagent. */
  readonly subpath: string | undefined;
}

export function parseSubpath(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) {
    throw new InvalidIdError(`[keys] invalid transcript subpath: expected 1–512 characters`);
  }
  const segments = value.split('/');
  for (const segment of segments) {
    if (!SUBPATH_SEGMENT_RE.test(segment) || segment.includes('..')) {
      throw new InvalidIdError(
        `[keys] invalid transcript subpath segment ${JSON.stringify(segment.slice(0, 40))}`,
      );
    }
  }
  return value;
}

/** Validate a `SessionKey` handed over by the SDK. */
export function transcriptAddress(key: SessionKey): TranscriptAddress {
  return {
    tenant: tenantFromProjectKey(key.projectKey),
    sessionId: parseSessionId(key.sessionId),
    subpath: parseSubpath(key.subpath),
  };
}

/** Object-store prefix of a tenant (everything of that tenant lives below it). */
export function tenantPrefix(tenant: TenantId): string {
  return `tenants/${tenant}/`;
}

/** Object-store prefix of one session (main transcript and every subpath below it). */
export function sessionPrefix(tenant: TenantId, sessionId: SessionId): string {
  return `${tenantPrefix(tenant)}sessions/${sessionId}/`;
}

/** Object-store prefix of one transcript stream (main: `…/<session>/main/`, sub: `…/<session>/sub/<subpath>/`). */
export function transcriptPrefix(addr: TranscriptAddress): string {
  const base = sessionPrefix(addr.tenant, addr.sessionId);
  return addr.subpath === undefined ? `${base}main/` : `${base}sub/${addr.subpath}/`;
}

/** A stable string id of a transcript stream, for database keys: `tenant#session#subpath`. */
export function transcriptId(addr: TranscriptAddress): string {
  return `${addr.tenant}#${addr.sessionId}#${addr.subpath ?? ''}`;
}

/**
 * A stable string id of one turn-ledger record: `tenant:chat:thread#requestId`. The request id is
 * validated here (no '#' or '/' can reach a storage key); the conversation parts were validated
 * when the key was built.
 */
export function turnRecordId(key: ConversationKey, requestId: RequestId | string): string {
  return `${conversationKeyString(key)}#${parseRequestId(requestId)}`;
}
