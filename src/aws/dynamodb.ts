import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { baseClientConfig, type AwsClientOptions } from './config.js';

/** A DynamoDB client with the shared policy (the raw one: `destroy()` it, hand `toDocumentClient(raw)` on). */
export function createDynamoClient(options: AwsClientOptions): DynamoDBClient {
  return new DynamoDBClient(baseClientConfig(options));
}

/** A document client over a new raw client (items are plain JS values; `undefined` fields are dropped). */
export function createDynamoDocumentClient(options: AwsClientOptions): DynamoDBDocumentClient {
  return toDocumentClient(createDynamoClient(options));
}

/** Accept either client flavour; items are plain JS values either way. */
export function toDocumentClient(client: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  if (client instanceof DynamoDBDocumentClient) return client;
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}
