import type { SessionKey, SessionStore, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { ApprovalId, ApprovalStore } from '../approvals/types.js';
import type { FileStore } from '../files/types.js';
import type { ClaimStore } from '../schedules/claims.js';
import type { ScheduleStore } from '../schedules/types.js';
import type { ConversationKey } from '../core/keys.js';
import type { ChatId, RequestId, SessionId, TenantId, ThreadId } from '../core/ids.js';

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
  /**
   * The conversation's own model (`/model`, the API): an alias of the tenant's `models`, resolved
   * when a turn runs. Absent: the tenant's default. Kept by `touch` and `switchTo`; gone with `remove`.
   */
  model?: string;
  /** The configured agent that answers here (`/agent`), as `TurnRequest.agent`. Absent: the main agent. */
  agent?: string;
}

/** A conversation's own settings, as its map record holds them. */
export type ConversationSettings = Pick<ConversationRecord, 'model' | 'agent'>;

/**
 * A change of a conversation's settings: a value sets it, `null` clears it, absent leaves it.
 * Names are validated by the caller (the tenant's model aliases and agents); storage only bounds them.
 */
export interface SettingsChange {
  model?: string | null;
  agent?: string | null;
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
  /**
   * Change the conversation's settings (`SettingsChange`). A conversation with no record yet gets
   * one with `sessionId: newSessionId` and `turns: 0` — no session started yet: the next turn starts
   * a new one (never resumes), and its `touch` puts that session's id in the record. Refreshes
   * `updatedAt`/`expiresAt`; keeps everything else.
   */
  configure(
    key: ConversationKey,
    change: SettingsChange,
    newSessionId: SessionId,
  ): Promise<ConversationRecord>;
  /**
   * Point the conversation at an earlier session of it (`/sessions`): `sessionId` with `turns`
   * (the session's completed turns, from the catalog), clears `pendingApproval`, keeps the settings,
   * refreshes `updatedAt`/`expiresAt`; creates the record if there is none. The caller checked that
   * the session belongs to this conversation and that its history is there, under the lease.
   */
  switchTo(key: ConversationKey, sessionId: SessionId, turns: number): Promise<ConversationRecord>;
  /** Conversations of a tenant (admin/API listing). */
  list(tenant: TenantId): Promise<ConversationRecord[]>;
}

/** Where a catalogued session came from: the turns of a conversation, or `sessions import`. */
export type SessionOrigin = 'turn' | 'import';

/**
 * One session of a conversation in the session catalog: what `/sessions`, the API and the CLI list.
 * Written after every committed turn (`recordTurn`), so a session stays findable after `/new`.
 */
export interface SessionInfo {
  /** The conversation the session belongs to (a session is never moved to another). */
  key: ConversationKey;
  sessionId: SessionId;
  /** First and last recorded turn (epoch ms). */
  createdAt: number;
  updatedAt: number;
  turns: number;
  /** The first question, on one line, at most `SESSION_TITLE_MAX` characters ('' if none). */
  title: string;
  /** Summed cost of its turns (USD). */
  costUsd: number;
  /** The model of its last turn, as the API reported it. */
  model: string | null;
  origin: SessionOrigin;
  /**
   * Until when its history is kept (epoch ms): `updatedAt` + 25 days, the conversation horizon
   * (docs/storage.md "Retention"). After it the session is listed as expired and never resumed.
   */
  historyUntil: number;
}

/** What one committed turn adds to its session's catalog entry. */
export interface SessionTurn {
  at: number;
  /** The turn's question, kept only if the session has no title yet (its first turn). */
  title: string;
  costUsd: number;
  model: string | null;
}

/** Which sessions `SessionCatalog.list` returns: a tenant's, one chat's, or one conversation's. */
export interface SessionFilter {
  chat?: ChatId;
  /** Only with `chat`. */
  thread?: ThreadId;
  /** At most this many, newest (`updatedAt`) first. Default 100, at most 1000. */
  limit?: number;
}

/**
 * The session catalog: every session of a tenant's conversations with when, how many turns, its
 * first question and cost. Entries are kept 25 days past `historyUntil` (listed as expired), then
 * read as absent. Keyed by (tenant, session id): no key reaches another tenant.
 */
export interface SessionCatalog {
  /**
   * Record a committed turn of `sessionId` in conversation `key`: creates the entry (title from
   * this turn) or adds the turn (count, cost, `updatedAt`, `historyUntil`, model). One conditional
   * write; a session listed under another conversation is refused (`StorageError`
   * `session_conflict`) and nothing is written.
   */
  recordTurn(key: ConversationKey, sessionId: SessionId, turn: SessionTurn): Promise<SessionInfo>;
  /** Create an entry as given (`sessions import`); throws `StorageError` `session_exists` if the id is taken. */
  create(info: SessionInfo): Promise<void>;
  get(tenant: TenantId, sessionId: SessionId): Promise<SessionInfo | null>;
  list(tenant: TenantId, filter?: SessionFilter): Promise<SessionInfo[]>;
  /** Remove the entry; returns it (`null` if there was none). */
  remove(tenant: TenantId, sessionId: SessionId): Promise<SessionInfo | null>;
}

/** The longest session title kept. */
export const SESSION_TITLE_MAX = 120;
/** How long a catalog entry outlives its history (listed as expired meanwhile). */
export const SESSION_EXPIRED_LISTING_DAYS = 25;

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
  /** Every session of every conversation, for listing, switching back and export. */
  readonly sessions: SessionCatalog;
  /** Every tenant's scheduled runs (`schedules/`). */
  readonly schedules: ScheduleStore;
  /** Small expiring conditional records of proactive work: once-only claims, rate counters (`schedules/claims.ts`). */
  readonly claims: ClaimStore;
  close(): Promise<void>;
}
