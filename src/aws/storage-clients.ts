import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsClientOptions } from './config.js';
import { createDynamoClient, toDocumentClient } from './dynamodb.js';
import { createS3Client } from './s3.js';

export interface CloudClientOptions extends Omit<AwsClientOptions, 'endpoint'> {
  region: string;
  /** Endpoint overrides (tests: fauxqs / DynamoDB Local; MinIO, R2). */
  s3Endpoint?: string;
  dynamoEndpoint?: string;
}

export interface CloudClients {
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  destroy(): void;
}

/** The S3 and DynamoDB clients the cloud storage and usage share (one process, one pair). */
export function createCloudClients(options: CloudClientOptions): CloudClients {
  const { s3Endpoint, dynamoEndpoint, ...common } = options;
  const s3 = createS3Client({ ...common, ...(s3Endpoint ? { endpoint: s3Endpoint } : {}) });
  const raw = createDynamoClient({ ...common, ...(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {}) });
  return {
    s3,
    dynamo: toDocumentClient(raw),
    destroy: () => {
      s3.destroy();
      raw.destroy();
    },
  };
}
