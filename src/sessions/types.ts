import type { SessionKey, SessionStore, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { ApprovalId, ApprovalStore } from '../approvals/types.js';
import type { FileStore } from '../files/types.js';
import type { ClaimStore } from '../schedules/claims.js';
import type { ScheduleStore } from '../schedules/types.js';
import type { ConversationKey } from '../core/keys.js';
import type { RequestId, SessionId, TenantId } from '../core/ids.js';

export type { SessionKey, SessionStore, SessionStoreEntry };

/**
 * The SDK's `SessionStore` with every optional method we rely on made required. Each backend
 * (sqlite, s3+dynamodb, memory) implements this and runs the shared conformance suite
 * (`conformance.ts`).
 */
export interface TranscriptStore extends SessionStore {
  listSessions(projectKey: string): Promise<Array<{ sessionId: string; mtime: number }>>;
  listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]>;
  /** Deletes the main transcript; deleting the main key also deletes every subpath below it. */
  delete(key: SessionKey): Promise<void>;
  /**
   * Cheap metadata of a transcript stream without reading it: entry count and stored bytes, or
   * `null` if it was never written. Used to verify a resume and by `/debug`.
   */
  stat(key: SessionKey): Promise<TranscriptStat | null>;
}

export interface TranscriptStat {
  entries: number;
  bytes: number;
  /** Storage write time of the last append (epoch ms). */
  mtime: number;
  /** Human-readable location of the history (a file path, an `s3://` prefix). */
  location: string;
}

/** One row of the conversation map: conversation → SDK session. */
export interface ConversationRecord {
  key: ConversationKey;
  sessionId: SessionId;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms after which the record is gone (25 days after the last turn; DynamoDB `ttl` is this in seconds). */
  expiresAt: number;
  /** Completed turns recorded through `touch`. */
  turns: number;
  /** The approval request the session's last turn ended on (its deferred tool call), if any. */
  pendingApproval?: ApprovalId;
}

/** What a turn records with `touch` besides the session. */
export interface TouchOptions {
  /**
   * The approval request the turn ended on: set it, or (absent) clear any earlier one. Every
   * `touch` writes it, so the map always says whether the session waits for a decision.
   */
  pendingApproval?: ApprovalId;
}

/**
 * Conversation map: which SDK session a conversation continues. Expired records read as absent,
 * like DynamoDB TTL (which deletes lazily).
 */
export interface ConversationMap {
  get(key: ConversationKey): Promise<ConversationRecord | null>;
  /**
   * Record a turn of `sessionId` for the conversation: creates the record or refreshes
   * `updatedAt`/`expiresAt`, increments `turns`. Replaces the session id if it differs.
   */
  touch(key: ConversationKey, sessionId: SessionId, options?: TouchOptions): Promise<ConversationRecord>;
  /** Forget the mapping (next turn starts a fresh session). Returns the record that was removed. */
  remove(key: ConversationKey): Promise<ConversationRecord | null>;
  /** Conversations of a tenant (admin/API listing). */
  list(tenant: TenantId): Promise<ConversationRecord[]>;
}

/** Proof of holding a conversation's single-writer lease. `token` is a monotonically increasing fence. */
export interface Lease {
  readonly key: ConversationKey;
  readonly token: number;
  readonly owner: string;
  readonly expiresAt: number;
}

/**
 * Single writer per conversation: conditional acquire with expiry, heartbeat for long turns,
 * release. A lost lease makes fenced writes fail with `FencedWriteError`.
 */
export interface LeaseManager {
  /** Acquire or throw `LeaseConflictError` after waiting up to `waitMs` (default 0: refuse at once). */
  acquire(key: ConversationKey, options?: { ttlMs?: number; waitMs?: number }): Promise<Lease>;
  /** Extend a held lease; throws `FencedWriteError` if it was lost (expired and taken over). */
  heartbeat(lease: Lease, ttlMs?: number): Promise<Lease>;
  /** Release if still held (no error if it already expired). */
  release(lease: Lease): Promise<void>;
  /**
   * Ask the turn holding the conversation's lease to stop, from any process (`/stop`, a Stop
   * button, the API): marks the held lease; the runner holding it checks `stopRequested` about
   * every second. With `turn`, only that turn (a lease token, as in `turn_started`) is asked: a
   * button of a turn that already ended stops nothing. Never waits for the lease.
   */
  requestStop(key: ConversationKey, options?: { turn?: number }): Promise<StopOutcome>;
  /** Whether a stop was requested for the turn holding `lease` (a strongly consistent read). */
  stopRequested(lease: Lease): Promise<boolean>;
  /** Whether a turn holds the conversation now (unexpired lease), and which: for a busy acknowledgement. */
  current(key: ConversationKey): Promise<{ turn: number } | null>;
}

/** What `requestStop` found: a running turn now asked to stop, or nothing (that turn) running. */
export type StopOutcome = { stopping: true; turn: number } | { stopping: false };

/** Where a request's turn stands: `started` (begun, outcome unknown) or `done` (result recorded). */
export type TurnState = 'started' | 'done';

/**
 * One turn-ledger record: what happened to the turn of one user message (`requestId`) in one
 * conversation. Written by the runner under the conversation's lease.
 */
export interface TurnRecord {
  key: ConversationKey;
  requestId: RequestId;
  state: TurnState;
  /** The session the turn runs in (a new session's id is known before the SDK is started). */
  sessionId: SessionId;
  /** Entries of the session's main transcript before the turn (0 for a new session). */
  entriesBefore: number;
  /** The conversation map's `turns` before the turn (0 if there was no record). */
  turnsBefore: number;
  startedAt: number;
  /** `done` only: when the result was recorded. */
  completedAt?: number;
  /** `done` only: the turn's result, serialized by the runner (opaque to storage). */
  result?: string;
  /** The result reached the user (set by `markDelivered` on a `done` record). */
  delivered: boolean;
  /** Epoch ms after which the record is gone (7 days after the last write; DynamoDB `ttl` in seconds). */
  expiresAt: number;
}

/** What the runner knows when a turn begins. */
export interface TurnStart {
  sessionId: SessionId;
  entriesBefore: number;
  turnsBefore: number;
}

/**
 * The turn ledger: exactly-once turns when a queue re-delivers a message. Keyed by (conversation,
 * request id); request ids are validated (`parseRequestId`) and an invalid one writes nothing.
 * Expired records read as absent.
 */
export interface TurnLedger {
  get(key: ConversationKey, requestId: RequestId): Promise<TurnRecord | null>;
  /** Create (or restart) the record as `started`: replaces whatever was stored, `delivered` false. */
  begin(key: ConversationKey, requestId: RequestId, start: TurnStart): Promise<TurnRecord>;
  /** Record the result: `started` → `done`, expiry refreshed. `null` (nothing written) if there is no live record. */
  complete(key: ConversationKey, requestId: RequestId, result: string): Promise<TurnRecord | null>;
  /** Mark a `done` record delivered. `false` (nothing written) if there is no live `done` record. */
  markDelivered(key: ConversationKey, requestId: RequestId): Promise<boolean>;
}

/**
 * Everything persistent, built in one place (`buildStorage`) and injected. `transcriptsFor(lease)`
 * returns a store whose appends are rejected once the lease is no longer current (fencing).
 */
export interface Storage {
  readonly kind: 'sqlite' | 'cloud' | 'memory';
  readonly transcripts: TranscriptStore;
  transcriptsFor(lease: Lease): TranscriptStore;
  readonly conversations: ConversationMap;
  readonly leases: LeaseManager;
  readonly turns: TurnLedger;
  /** Approval requests, conversation grants and the approvals audit trail (`approvals/`). */
  readonly approvals: ApprovalStore;
  /** Files of conversations: received attachments and files the agent sent (`files/`). */
  readonly files: FileStore;
  /** Every tenant's scheduled runs (`schedules/`). */
  readonly schedules: ScheduleStore;
  /** Small expiring conditional records of proactive work: once-only claims, rate counters (`schedules/claims.ts`). */
  readonly claims: ClaimStore;
  close(): Promise<void>;
}
