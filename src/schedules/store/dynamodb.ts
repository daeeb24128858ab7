/**
 * The DynamoDB schedule and claim stores (items in the sessions' single table; layout in
 * `dynamodb/schema.ts`). Reached by subpath: importing this loads the AWS SDK.
 */
export { createDynamoClaimStore, type DynamoClaimStoreOptions } from './dynamodb/claims.js';
export { createDynamoScheduleStore, type DynamoScheduleStoreOptions } from './dynamodb/schedules.js';
export { CLAIM_PREFIX, SCHEDULE_INDEX_SK, SCHEDULE_PREFIX, claimSk, scheduleSk } from './dynamodb/schema.js';
