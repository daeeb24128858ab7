import { describe } from 'vitest';
import type { ManualClock } from '../../core/clock.js';
import type { ApprovalStore } from '../types.js';
import { grantTests } from './conformance/grants.js';
import { hostileTests } from './conformance/hostile.js';
import { listTests } from './conformance/list.js';
import { recordTests } from './conformance/records.js';
import { resolveTests } from './conformance/resolve.js';

/**
 * The approval-store contract every backend must pass (memory, SQLite, DynamoDB). A backend's test
 * calls `runApprovalConformance({ name, create })`; each test gets a fresh subject and cleans it up.
 * Every write is also checked through `raw`, which reads the backend with its own code and its own
 * spelling of the layout, so a bug mirrored in the adapter's read and write paths still fails.
 *
 * Semantics pinned down beyond the comments of `ApprovalStore` in `approvals/types.ts`:
 * - `create` takes pending records only; an id holding other content throws `ApprovalExistsError`,
 *   a repeat of the same creation fields succeeds and writes nothing (even after a resolve/notice);
 * - a record reads as absent from `expiresAt + retention` on (`get`, `list`, `resolve`, `setNotice`);
 * - `resolve` of an unknown id is `{ ok: false, record: null }`; without a `requestId` a repeat fails;
 * - `setNotice` of an unknown id writes nothing and does not throw;
 * - grants: per (conversation, session), in grant order, ≤ 100 rules of 1–1000 characters, expiring
 *   25 days after the last grant that added a rule;
 * - `list`: newest first by `createdAt` (ties: id descending), default 50, clamped to 1–200;
 * - every id is validated before any read or write (`InvalidIdError`), sizes are bounded
 *   (`InvalidApprovalError`), and an invalid call writes nothing.
 */
export interface RawApprovalBackend {
  /** A request as stored, read directly (row / item / map entry); null if absent. */
  readApproval(tenant: string, id: string): Promise<RawApproval | null>;
  /** The grant rules of a (conversation, session) as stored, in order, with their expiry; null if none. */
  readGrants(conversation: string, sessionId: string): Promise<{ rules: string[]; expiresAt: number } | null>;
  /** Every raw key the approval store wrote (any tenant), in the backend's own spelling. */
  listKeys(): Promise<string[]>;
}

/** A stored request, as the raw backend reads it. `conversation` is `tenant:chat:thread`. */
export interface RawApproval {
  conversation: string;
  status: string;
  input: string;
  summary: string;
  createdAt: number;
  expiresAt: number;
  /** Until when it is kept (epoch ms; DynamoDB: the `ttl` seconds × 1000). */
  keepUntil: number;
  resolvedAt?: number;
  resolvedBy?: string;
  resolvedByRequest?: string;
  notice?: { chatId: number; messageId: number };
}

export interface ApprovalSubject {
  store: ApprovalStore;
  raw: RawApprovalBackend;
  clock: ManualClock;
  cleanup(): Promise<void>;
}

export interface ApprovalHarness {
  name: string;
  /** A fresh, empty store on `clock`, keeping records `retentionDays` (default: the store's) after their deadline. */
  create(options: { clock: ManualClock; retentionDays?: number }): Promise<ApprovalSubject>;
}

/** Registers the approval-store conformance `describe`/`it` blocks for one backend. */
export function runApprovalConformance(harness: ApprovalHarness): void {
  describe(`approval store conformance: ${harness.name}`, () => {
    recordTests(harness);
    resolveTests(harness);
    grantTests(harness);
    listTests(harness);
    hostileTests(harness);
  });
}
