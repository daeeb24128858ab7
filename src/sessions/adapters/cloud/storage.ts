import { hostname } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../../../core/clock.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import { createDynamoApprovalStore } from '../../../approvals/store/dynamodb/index.js';
import { createDynamoSessionCatalog } from '../../catalog/dynamodb.js';
import { createS3FileStore } from '../../../files/s3.js';
import { createDynamoClaimStore, createDynamoScheduleStore } from '../../../schedules/store/dynamodb.js';
import type { Storage } from '../../types.js';
import { createTranscriptCache } from './cache.js';
import { toDocumentClient } from '../../../aws/dynamodb.js';
import { createCloudConversations } from './conversations.js';
import { createCloudLeases } from './leases.js';
import { createObjectStore, emptyMetrics, type TransferMetrics } from './objects.js';
import { DEFAULT_COMPACTION, type CompactionPolicy } from './compaction.js';
import { createHeadStore } from './head.js';
import { StreamState } from './state.js';
import { createTablePartStore } from './table-parts.js';
import { createCloudTranscripts, type TranscriptDeps } from './transcripts.js';
import { createCloudTurns } from './turns.js';

export interface CloudStorageOptions {
  s3: S3Client;
  /** Either flavour; a plain client is wrapped in a document client. */
  dynamo: DynamoDBClient | DynamoDBDocumentClient;
  bucket: string;
  /** The single table holding heads, the conversation map, leases and the turn ledger (see `tableDefinition`). */
  table: string;
  clock?: Clock;
  logger?: Logger;
  compaction?: Partial<CompactionPolicy>;
  /** Byte budget of the in-process transcript cache (default 64 MiB; 0 disables warm resume). */
  cacheBytes?: number;
  /** Prefix of lease owner ids (default `<hostname>:<pid>`). */
  owner?: string;
  /** Days approval records are kept after their deadline (default: the usage retention's, 400). */
  approvalRetentionDays?: number;
  /**
   * Also read session items where releases before docs/scale.md §8.1 wrote them (`pk` = tenant),
   * and keep writing such an item there (default true; `OMNICLOUD_SESSION_LEGACY_KEYS`).
   */
  legacyKeys?: boolean;
}

export interface CloudStorage extends Storage {
  readonly kind: 'cloud';
  /** Bytes/requests this instance sent to S3 and DynamoDB so far (live object). */
  readonly metrics: TransferMetrics;
  /** Drop the in-process transcript cache (tests, benchmarks of cold loads). */
  clearCache(): void;
}

/** S3 transcripts + DynamoDB heads/conversation map/leases/turn ledger/approvals/schedules/claims. Clients are injected and not destroyed by `close()`. */
export function createCloudStorage(options: CloudStorageOptions): CloudStorage {
  const doc = toDocumentClient(options.dynamo);
  const metrics = emptyMetrics();
  const cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
  const cache = createTranscriptCache(cacheBytes);
  const clock = options.clock ?? systemClock;
  const legacy = options.legacyKeys ?? true;
  const logger = options.logger ?? silentLogger;
  const deps: TranscriptDeps = {
    heads: createHeadStore({ doc, table: options.table, clock, metrics, legacy }),
    objects: createObjectStore(options.s3, options.bucket, metrics),
    tableParts: createTablePartStore({ doc, table: options.table, metrics }),
    cache,
    clock,
    logger,
    compaction: { ...DEFAULT_COMPACTION, ...options.compaction },
    state: new StreamState(),
  };
  return {
    kind: 'cloud',
    transcripts: createCloudTranscripts(deps),
    transcriptsFor: (lease) => createCloudTranscripts(deps, lease),
    conversations: createCloudConversations({ doc, table: options.table, clock, legacy, logger }),
    leases: createCloudLeases({
      doc,
      table: options.table,
      clock,
      ownerPrefix: options.owner ?? `${hostname()}:${process.pid}`,
    }),
    turns: createCloudTurns({ doc, table: options.table, clock, legacy }),
    files: createS3FileStore(options.s3, options.bucket),
    approvals: createDynamoApprovalStore({
      doc,
      table: options.table,
      clock,
      retentionDays: options.approvalRetentionDays,
    }),
    sessions: createDynamoSessionCatalog({ doc, table: options.table, clock }),
    schedules: createDynamoScheduleStore({ doc, table: options.table }),
    claims: createDynamoClaimStore({ doc, table: options.table, clock }),
    metrics,
    clearCache: () => cache.clear(),
    close: async () => cache.clear(),
  };
}
