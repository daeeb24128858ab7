/**
 * Schedule and claim stores (`ScheduleStore` of `schedules/types.ts`, `ClaimStore` of
 * `schedules/claims.ts`): one pair per storage backend, built by its `Storage` factory and reached
 * as `storage.schedules` / `storage.claims`. The memory drivers and the shared checks are here; the
 * SQLite (`./sqlite.js`, loads better-sqlite3) and DynamoDB (`./dynamodb.js`, loads the AWS SDK)
 * drivers are imported by subpath. Every backend runs `conformance.ts` (test-only, not exported here).
 */
export {
  createMemoryClaimStore,
  createMemoryScheduleStore,
  type MemoryClaimState,
  type MemoryScheduleState,
} from './memory.js';
export {
  assertClaimKey,
  assertClaimLimit,
  assertClaimTtl,
  assertClaimValue,
  assertDueAt,
  assertExpectedVersion,
  assertScheduleAddress,
  assertScheduleRecord,
  assertTopic,
} from './validate.js';
