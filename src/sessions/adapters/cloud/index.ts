export { createCloudStorage, type CloudStorage, type CloudStorageOptions } from './storage.js';
export {
  createCloudClients,
  toDocumentClient,
  type CloudClientOptions,
  type CloudClients,
} from './clients.js';
export { tableDefinition, TTL_ATTRIBUTE } from './schema.js';
export { DEFAULT_COMPACTION, HEAD_RETENTION_MS, RECENT_UUIDS, type CompactionPolicy } from './transcripts.js';
export type { TransferMetrics } from './objects.js';
