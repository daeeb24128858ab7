import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocalPeer } from './dynamodb.js';

export interface DynamoDbClients {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

/**
 * For a test file: starts DynamoDB Local once (beforeAll), builds clients with bounded retries, and
 * stops everything afterwards. Returns a getter usable inside tests and hooks.
 */
export function useDynamoDbLocal(): () => DynamoDbClients {
  let peer: DynamoDbLocalPeer | undefined;
  let clients: DynamoDbClients | undefined;
  beforeAll(async () => {
    peer = await startDynamoDbLocal();
    const client = new DynamoDBClient({
      endpoint: peer.endpoint,
      region: peer.region,
      credentials: peer.credentials,
      maxAttempts: 3,
    });
    clients = {
      client,
      doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    };
  }, 60_000);
  afterAll(async () => {
    clients?.client.destroy();
    await peer?.stop();
  });
  return () => {
    if (!clients) throw new Error('DynamoDB Local not started');
    return clients;
  };
}
