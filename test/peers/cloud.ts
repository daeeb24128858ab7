import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableDefinition } from '../../src/sessions/adapters/cloud/schema.js';
import { startDynamoDbLocal, type DynamoDbLocalPeer } from './dynamodb.js';
import { startFauxqs, type FauxqsPeer } from './fauxqs.js';

/** fauxqs (S3) + DynamoDB Local with clients pointed at them, and fresh bucket/table factories. */
export interface CloudPeers {
  readonly fauxqs: FauxqsPeer;
  readonly dynamodb: DynamoDbLocalPeer;
  readonly s3: S3Client;
  readonly dynamo: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** A new empty bucket with a unique name. */
  newBucket(): Promise<string>;
  /** A new storage table (`tableDefinition`) with a unique name. */
  newTable(): Promise<string>;
  /** A new table shaped like template.yaml's DedupeTable (hash key `pk`). */
  newDedupeTable(): Promise<string>;
  /** A new FIFO queue (no content-based dedupe); returns its URL. */
  newFifoQueue(): string;
  /** An SQS client pointed at fauxqs. */
  readonly sqs: SQSClient;
  /** Environment variables that point our AWS clients at these peers (region, keys, endpoints). */
  awsEnv(): Record<string, string>;
  dropBucket(name: string): Promise<void>;
  dropTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Start both peers (in parallel, ~2 s for the JVM) and build clients with bounded retries. */
export async function startCloudPeers(): Promise<CloudPeers> {
  const [fauxqs, dynamodb] = await Promise.all([startFauxqs(), startDynamoDbLocal()]);
  const s3 = new S3Client({
    endpoint: fauxqs.endpoint,
    region: fauxqs.region,
    credentials: fauxqs.credentials,
    forcePathStyle: true,
    maxAttempts: 3,
  });
  const dynamo = new DynamoDBClient({
    endpoint: dynamodb.endpoint,
    region: dynamodb.region,
    credentials: dynamodb.credentials,
    maxAttempts: 3,
  });
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const sqs = new SQSClient({
    endpoint: fauxqs.endpoint,
    region: fauxqs.region,
    credentials: fauxqs.credentials,
  });
  const unique = (prefix: string) => `${prefix}-${randomBytes(5).toString('hex')}`;
  return {
    fauxqs,
    dynamodb,
    s3,
    dynamo,
    doc,
    async newBucket() {
      const name = unique('omni');
      fauxqs.createBucket(name);
      return name;
    },
    async newTable() {
      const name = unique('omni');
      await dynamo.send(new CreateTableCommand(tableDefinition(name)));
      return name;
    },
    async newDedupeTable() {
      const name = unique('dedupe');
      await dynamo.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      return name;
    },
    newFifoQueue: () =>
      fauxqs.createQueue(`${unique('messages')}.fifo`, { ContentBasedDeduplication: 'false' }),
    sqs,
    awsEnv: () => ({
      AWS_REGION: fauxqs.region,
      AWS_ACCESS_KEY_ID: fauxqs.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: fauxqs.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
      AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
    }),
    async dropBucket(name) {
      fauxqs.server.emptyBucket(name);
      await s3.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined);
    },
    async dropTable(name) {
      await dynamo.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    },
    async stop() {
      s3.destroy();
      dynamo.destroy();
      sqs.destroy();
      await Promise.all([fauxqs.stop(), dynamodb.stop()]);
    },
  };
}
