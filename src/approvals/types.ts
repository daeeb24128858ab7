import type { RequestId, SessionId, TenantId } from '../core/ids.js';
import type { ConversationKey } from '../core/keys.js';

/**
 * Human approval of tool calls without a waiting process (see docs/approvals.md). The contracts
 * between the policy, the runner, the stores and the front ends (Telegram, API, CLI).
 */

declare const brand: unique symbol;
/** Opaque id of one approval request: 22 characters of base64url (128 random bits). */
export type ApprovalId = string & { readonly [brand]: 'ApprovalId' };

/** What a person may answer. */
export const APPROVAL_DECISIONS = ['allow_once', 'allow_conversation', 'deny'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/**
 * How a request ended: a person's decision, or
 * - `expired`: nobody decided before `expiresAt` (the agent is told at the conversation's next turn);
 * - `superseded`: a new message came instead of a decision (the call is refused, the message is the reply);
 * - `cancelled`: `/stop` or `/new` while it was pending.
 */
export type ApprovalResolution = ApprovalDecision | 'expired' | 'superseded' | 'cancelled';
export type ApprovalStatus = 'pending' | ApprovalResolution;

/** What the policy says about one tool call. */
export type PolicyVerdict = 'allow' | 'ask' | 'deny';

/** The Telegram message that shows a request (so a decision can edit it). */
export interface ApprovalNotice {
  chatId: number;
  messageId: number;
}

/**
 * One approval request: created when a turn ends on a deferred tool call, resolved once. Kept
 * after resolution as the audit record (for the usage retention).
 */
export interface ApprovalRecord {
  id: ApprovalId;
  key: ConversationKey;
  /** The session whose deferred call this is (a resume of any other session ignores it). */
  sessionId: SessionId;
  /** The model's tool_use id of the deferred call. */
  toolUseId: string;
  /** Tool name as the SDK names it (`Bash`, `mcp__aws__reboot_instance`). */
  tool: string;
  /**
   * The call's input as JSON (capped at 16 KiB of UTF-8 by the caller; longer inputs end with `…` and
   * are not valid JSON). The store refuses more than 16,384 bytes.
   */
  input: string;
  /** A readable rendering of the call for people (`aws ec2 reboot-instances --instance-ids i-1`; ≤ 2000 characters). */
  summary: string;
  /** The rule "Allow in this conversation" grants, e.g. `Bash(aws ec2 reboot-instances *)`. */
  grantRule: string;
  /** Who sent the message whose turn asked (Telegram user id, API principal). */
  requestedBy?: string;
  createdAt: number;
  /** Decision deadline (epoch ms): a later decision is refused as `expired`. */
  expiresAt: number;
  status: ApprovalStatus;
  /** Set once resolved. */
  resolvedAt?: number;
  /** Who resolved it (user id; absent for `expired`). */
  resolvedBy?: string;
  /** The work item that resolved it: a re-delivery of that same item may proceed (exactly-once). */
  resolvedByRequest?: RequestId;
  notice?: ApprovalNotice;
}

/** Outcome of `ApprovalStore.resolve`. */
export type ResolveOutcome =
  /** Now resolved by this call, or already resolved earlier by the same `requestId`. */
  | { ok: true; record: ApprovalRecord }
  /** Not resolved by this call: unknown id, or already resolved otherwise (`record.status` says how). */
  | { ok: false; record: ApprovalRecord | null };

/**
 * Approval requests, "allow in this conversation" grants, and the audit trail. Every key is under
 * the tenant (`pk` = tenant in DynamoDB); ids are validated before any read. A record is kept until
 * `expiresAt` + the usage retention and reads as absent after that. Malformed or oversized input
 * throws `InvalidIdError` / `InvalidApprovalError` and writes nothing (docs/storage.md, Approvals).
 */
export interface ApprovalStore {
  /**
   * Store a new pending request. An id holding another request throws `ApprovalExistsError`; a
   * repeat of the same creation fields (a retry after a lost response) succeeds and writes nothing.
   */
  create(record: ApprovalRecord): Promise<void>;
  get(tenant: TenantId, id: ApprovalId): Promise<ApprovalRecord | null>;
  /**
   * Resolve a pending request, at most once: conditional on `status === 'pending'`. A repeat with
   * the same `requestId` returns `ok: true` with the stored record (a re-delivered work item).
   */
  resolve(
    tenant: TenantId,
    id: ApprovalId,
    resolution: { status: ApprovalResolution; at: number; by?: string; requestId?: RequestId },
  ): Promise<ResolveOutcome>;
  /** Remember where the request was shown (Telegram message), for later edits. An unknown id is ignored. */
  setNotice(tenant: TenantId, id: ApprovalId, notice: ApprovalNotice): Promise<void>;
  /**
   * Add an "allow in this conversation" rule for a session (idempotent). At most 100 rules of 1–1000
   * characters per session (`InvalidApprovalError` beyond); they expire 25 days after the last grant.
   */
  grant(key: ConversationKey, sessionId: SessionId, rule: string): Promise<void>;
  /** The rules granted for a session, in the order granted. */
  grants(key: ConversationKey, sessionId: SessionId): Promise<string[]>;
  /** Requests of a conversation, newest first (pending and resolved: the audit trail); limit 50 by default, at most 200. */
  list(key: ConversationKey, options?: { limit?: number }): Promise<ApprovalRecord[]>;
  /**
   * Requests of every conversation of a tenant, newest first (the tenant's audit log: the console's
   * approvals page); same order, limits and retention as `list`.
   */
  listTenant(tenant: TenantId, options?: { limit?: number }): Promise<ApprovalRecord[]>;
}

/** The decision a turn carries when it continues a deferred call (`TurnRequest.approval`). */
export interface ApprovalAnswer {
  id: ApprovalId;
  decision: ApprovalDecision;
  /** Who decided (Telegram user id, API principal). */
  by: string;
}

/** A turn that ended waiting for a person (`TurnResult.pending_approval`). */
export interface PendingApproval {
  id: ApprovalId;
  tool: string;
  /** The call's input (parsed back from the record; a truncated input is given as its summary). */
  input: unknown;
  summary: string;
  grant_rule: string;
  expires_at: string;
}
