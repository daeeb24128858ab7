/**
 * Approval stores (`ApprovalStore` of `approvals/types.ts`): one per storage backend, each built by
 * its `Storage` factory and reached as `storage.approvals`. The memory store and the shared rules
 * are here; the SQLite (`./sqlite.js`) and DynamoDB (`./dynamodb.js`, loads the AWS SDK) stores
 * are imported by subpath. Every backend runs `conformance.ts` (test-only, not exported here).
 */
export {
  createMemoryApprovalStore,
  emptyApprovalState,
  type MemoryApprovalState,
  type MemoryApprovalStoreOptions,
} from './memory.js';
export {
  DEFAULT_APPROVAL_RETENTION_DAYS,
  DEFAULT_LIST_LIMIT,
  GRANT_RETENTION_MS,
  MAX_GRANTS,
  MAX_INPUT_BYTES,
  MAX_LIST_LIMIT,
  MAX_NAME_CHARS,
  MAX_RULE_CHARS,
  MAX_SUMMARY_CHARS,
} from './record.js';
export { ApprovalExistsError, InvalidApprovalError } from '../errors.js';
