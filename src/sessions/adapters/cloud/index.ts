export { createCloudStorage, type CloudStorage, type CloudStorageOptions } from './storage.js';
export {
  createCloudClients,
  toDocumentClient,
  type CloudClientOptions,
  type CloudClients,
} from './clients.js';
export { tableDefinition, TTL_ATTRIBUTE } from './schema.js';
export { DEFAULT_COMPACTION, type CompactionPolicy } from './compaction.js';
export { RECENT_UUIDS } from './dedupe.js';
export { HEAD_RETENTION_MS } from './transcripts.js';
export type { TransferMetrics } from './objects.js';
