import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDocumentClient } from './document-client.js';

export { toDocumentClient };

export interface CloudClientOptions {
  region: string;
  /** Endpoint override (tests: fauxqs / DynamoDB Local; MinIO, R2). Implies path-style S3 URLs. */
  s3Endpoint?: string;
  dynamoEndpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Total attempts per AWS call, first try included (default 4). The SDK's standard retry strategy
   * retries throttling, 5xx and transient network errors with exponential backoff and full jitter
   * (base 100 ms, capped at 20 s) and a client-side retry quota, so retries stay bounded.
   */
  maxAttempts?: number;
}

export interface CloudClients {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  destroy(): void;
}

/** Build the S3 and DynamoDB clients the cloud storage expects (the one place they are configured). */
export function createCloudClients(options: CloudClientOptions): CloudClients {
  const common = {
    region: options.region,
    maxAttempts: options.maxAttempts ?? 4,
    retryMode: 'standard' as const,
    // A copy: the SDK annotates the credentials object it is given.
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
  };
  const s3 = new S3Client({
    ...common,
    ...(options.s3Endpoint ? { endpoint: options.s3Endpoint, forcePathStyle: true } : {}),
  });
  const raw = new DynamoDBClient({
    ...common,
    ...(options.dynamoEndpoint ? { endpoint: options.dynamoEndpoint } : {}),
  });
  const dynamo = toDocumentClient(raw);
  return {
    s3,
    dynamo,
    destroy: () => {
      s3.destroy();
      raw.destroy();
    },
  };
}
