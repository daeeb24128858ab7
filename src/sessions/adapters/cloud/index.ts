/**
 * The S3 + DynamoDB session storage (`createCloudStorage`): heads, table parts and leases in one
 * DynamoDB table, compacted segments in S3 (design: docs/storage.md). Importing it loads the AWS
 * SDK, so callers that may run without AWS reach it by subpath or `import()`.
 */
export { createCloudStorage, type CloudStorage, type CloudStorageOptions } from './storage.js';
// The clients are built in aws/; re-exported so a caller of the cloud storage finds them here too.
export {
  createCloudClients,
  type CloudClientOptions,
  type CloudClients,
} from '../../../aws/storage-clients.js';
export { toDocumentClient } from '../../../aws/dynamodb.js';
export { tableDefinition, TTL_ATTRIBUTE } from './schema.js';
export { DEFAULT_COMPACTION, type CompactionPolicy } from './compaction.js';
export { RECENT_UUIDS } from './dedupe.js';
export { HEAD_RETENTION_MS } from './transcripts.js';
export type { TransferMetrics } from './objects.js';
