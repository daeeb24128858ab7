import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { describe } from 'vitest';
import type { ManualClock } from '../core/clock.js';
import type { TenantId } from '../core/ids.js';
import type { ConversationKey } from '../core/keys.js';
import type { Storage } from './types.js';
import { catalogTests } from './conformance/catalog.js';
import { conversationTests } from './conformance/conversations.js';
import { settingsTests } from './conformance/settings.js';
import { isolationTests } from './conformance/isolation.js';
import { leaseTests } from './conformance/leases.js';
import { transcriptTests } from './conformance/transcripts.js';
import { turnLedgerTests } from './conformance/turns.js';

/**
 * The storage contract every backend must pass. A backend's test file calls
 * `runStorageConformance({ name, create })`; each test gets a fresh subject from `create()` and
 * calls its `cleanup()` afterwards. Every write is also checked through `raw`, which reads the
 * backend directly (SQL rows, S3 objects), so a bug mirrored in the adapter's read and write paths
 * still fails.
 *
 * Semantics the suite pins down beyond the interface comments in `types.ts`:
 * - transcripts: an empty batch writes nothing; dedupe is per stream (same uuid in another session
 *   or subpath is stored again); `listSubkeys` of the main key lists every subpath; `delete` of a
 *   subkey removes only that stream; `stat().location` contains the session id.
 * - conversations: live while `now < expiresAt`; `touch` on an expired record starts afresh
 *   (`turns` 1, new `createdAt`); `remove` returns `null` for absent or expired records; every
 *   `touch` sets `pendingApproval` to the given id or clears it (an invalid id throws, writes nothing).
 * - leases: live while `now < expiresAt` (injected clock); `waitMs` is wall-clock waiting; the token
 *   grows on every acquire, also after a release; `release` of a lost lease is silent and leaves
 *   the new holder alone; `heartbeat` after a release or takeover throws `FencedWriteError`; fenced
 *   appends fail with `FencedWriteError` after release, expiry or takeover, and write nothing.
 * - turn ledger: live while `now < expiresAt` (7 days after the last write); `begin` replaces a
 *   record; `complete`/`markDelivered` never create or revive one; an invalid request id throws
 *   `InvalidIdError` and writes nothing; records of other conversations/tenants are independent.
 * - conversation settings: `configure` on an absent or expired record creates one with the given
 *   session and `turns` 0 (an expired record's settings are not carried); `touch` and `switchTo`
 *   keep a live record's settings; invalid setting values, session ids and turn counts throw
 *   `InvalidIdError` and write nothing.
 * - session catalog: live while `now < historyUntil + 25 days`; a turn on a dead entry starts a
 *   fresh one; `list` is newest first (ties by session id), a thread filter needs a chat filter;
 *   a session id is one conversation's (`session_conflict` otherwise); invalid ids, keys and
 *   filters throw `InvalidIdError` before any write.
 */
export interface RawBackend {
  /** Entries of one transcript stream read directly from the backend (SQL rows / S3 objects), bypassing the adapter; null if absent. */
  readEntries(key: SessionKey): Promise<SessionStoreEntry[] | null>;
  /** Every raw storage key (object keys / row ids) belonging to a tenant, as the backend names them. */
  listTenantKeys(tenant: TenantId): Promise<string[]>;
  /**
   * The conversation-map row read directly: session id, expiry (epoch ms), turns, and the pending
   * approval request id, model and agent (each property only when one is stored).
   */
  readConversation(key: ConversationKey): Promise<RawConversation | null>;
  /**
   * A session-catalog entry read directly by its conversation and id (SQL row / DynamoDB item at
   * `sess#<tenant>:<chat>:<thread>#<session>` / map entry), dead ones too until purged; null if absent.
   */
  readSession(key: ConversationKey, sessionId: string): Promise<RawSession | null>;
  /**
   * Optional: the turn-ledger row read directly (SQL row / DynamoDB item / map entry), by the
   * backend's own spelling of the key. When present, the ledger tests also check every write here.
   */
  readTurn?(key: ConversationKey, requestId: string): Promise<RawTurn | null>;
  /**
   * Optional: every raw storage key of the whole backend, whatever the tenant. When present, the
   * hostile-key tests also prove that nothing at all was written.
   */
  listAllKeys?(): Promise<string[]>;
}

/** A conversation-map row as stored. */
export interface RawConversation {
  sessionId: string;
  expiresAt: number;
  turns: number;
  pendingApproval?: string;
  model?: string;
  agent?: string;
}

/** A session-catalog entry as stored. */
export interface RawSession {
  tenant: string;
  chat: string;
  thread: string;
  sessionId: string;
  createdAt: number;
  updatedAt: number;
  turns: number;
  title: string;
  costUsd: number;
  model: string | null;
  origin: string;
  historyUntil: number;
  /** Until when the entry is kept (epoch ms), where the backend stores it (SQLite, DynamoDB). */
  keepUntil?: number;
  /** DynamoDB only: the `ttl` attribute (epoch seconds). */
  ttl?: number;
}

/** A turn-ledger row as stored. */
export interface RawTurn {
  state: string;
  sessionId: string;
  entriesBefore: number;
  result: string | null;
  delivered: boolean;
  expiresAt: number;
}

export interface ConformanceSubject {
  storage: Storage;
  raw: RawBackend;
  /** The clock the storage was built with; tests advance it to expire records and leases. */
  clock: ManualClock;
  /** Close the storage and remove whatever `create()` made (temp dirs, tables, buckets). */
  cleanup(): Promise<void>;
}

export interface ConformanceHarness {
  name: string;
  create(): Promise<ConformanceSubject>;
  /**
   * Optional: `true` if transcript mtimes (`stat`, `listSessions`) are stamped from the injected
   * clock, so the suite can assert exact values. Default `false`: only integer-ness and
   * monotonicity are checked (e.g. S3 `LastModified`).
   */
  mtimeFromClock?: boolean;
}

/** Registers the conformance `describe`/`it` blocks for one backend. */
export function runStorageConformance(harness: ConformanceHarness): void {
  describe(`storage conformance: ${harness.name}`, () => {
    transcriptTests(harness);
    isolationTests(harness);
    conversationTests(harness);
    settingsTests(harness);
    catalogTests(harness);
    leaseTests(harness);
    turnLedgerTests(harness);
  });
}
