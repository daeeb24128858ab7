import type { SessionKey, SessionStore, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { ConversationKey } from '../core/keys.js';
import type { SessionId, TenantId } from '../core/ids.js';

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
  touch(key: ConversationKey, sessionId: SessionId): Promise<ConversationRecord>;
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
  close(): Promise<void>;
}
