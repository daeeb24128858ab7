import { describe } from 'vitest';
import type { ManualClock } from '../../core/clock.js';
import type { ClaimStore } from '../claims.js';
import type { ScheduleRecord, ScheduleStore } from '../types.js';
import { claimTests } from './conformance/claims.js';
import { counterTests } from './conformance/counters.js';
import { hostileTests } from './conformance/hostile.js';
import { recordTests } from './conformance/records.js';
import { topicDueTests } from './conformance/topic-due.js';
import { versionTests } from './conformance/versions.js';

/**
 * The schedule-store and claim-store contract every backend passes (memory, SQLite, DynamoDB). A
 * backend's test calls `runScheduleConformance({ name, create })`; each test gets a fresh subject
 * and cleans it up. Every write is also checked through `raw`, which reads the backend with its own
 * code and its own spelling of the layout, so a bug mirrored in a driver's read and write paths
 * still fails.
 *
 * Semantics pinned down beyond the comments of `ScheduleStore` (`schedules/types.ts`) and
 * `ClaimStore` (`schedules/claims.ts`):
 * - `put` stores the record as given (no trimming, no defaults) except `version` (expected + 1, or
 *   current + 1) and `topic`/`lastDueAt` kept from the stored record when the new one has none;
 * - `setTopic`/`markDue` do not change `version` or `updatedAt`;
 * - a claim lives while `expiresAt > now` (`expiresAt` = creation or first count + `ttlMs`, epoch ms);
 *   a counter and a `putIfAbsent` record under one key are the same record (a counter's value is '');
 * - invalid tenants are refused with `InvalidIdError`, invalid names, records, versions, topics and
 *   due times with `InvalidScheduleError`, invalid keys, values, limits and TTLs with
 *   `InvalidClaimError` — before any read or write, so an invalid call writes nothing.
 */
export interface RawScheduleBackend {
  /** A schedule as stored, read directly (row / item / map entry) into the record's shape; null if absent. */
  readSchedule(tenant: string, name: string): Promise<ScheduleRecord | null>;
  /** A claim as stored (expired ones too, until the backend purges them); null if absent. */
  readClaim(tenant: string, key: string): Promise<RawClaim | null>;
  /** Every raw key either store wrote (any tenant), in the backend's own spelling. */
  listKeys(): Promise<string[]>;
}

export interface RawClaim {
  value: string;
  count: number;
  /** Epoch ms (DynamoDB: also checked against the `ttl` seconds by the raw reader). */
  expiresAt: number;
}

export interface ScheduleSubject {
  schedules: ScheduleStore;
  claims: ClaimStore;
  raw: RawScheduleBackend;
  clock: ManualClock;
  cleanup(): Promise<void>;
}

export interface ScheduleHarness {
  name: string;
  /** Fresh, empty stores on `clock`. */
  create(options: { clock: ManualClock }): Promise<ScheduleSubject>;
}

/** Registers the schedule- and claim-store conformance `describe`/`it` blocks for one backend. */
export function runScheduleConformance(harness: ScheduleHarness): void {
  describe(`schedule and claim store conformance: ${harness.name}`, () => {
    recordTests(harness);
    versionTests(harness);
    topicDueTests(harness);
    claimTests(harness);
    counterTests(harness);
    hostileTests(harness);
  });
}
