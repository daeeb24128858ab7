import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocalPeer } from '../../../../test/peers/dynamodb.js';
import { tableDefinition } from '../../../sessions/adapters/cloud/schema.js';
import { runUsageConformance } from '../../conformance.js';
import { createDynamoUsageStore } from './index.js';
import { createDynamoUsageRaw } from './raw.js';

let peer: DynamoDbLocalPeer | undefined;
let client: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;

beforeAll(async () => {
  peer = await startDynamoDbLocal();
  client = new DynamoDBClient({
    endpoint: peer.endpoint,
    region: peer.region,
    credentials: peer.credentials,
    maxAttempts: 3,
  });
  doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await peer?.stop();
});

runUsageConformance({
  name: 'dynamodb (DynamoDB Local, the sessions table definition)',
  async create({ clock, retentionDays }) {
    if (!client || !doc) throw new Error('DynamoDB Local not started');
    const c = client;
    const d = doc;
    const table = `usage-${randomBytes(5).toString('hex')}`;
    await c.send(new CreateTableCommand(tableDefinition(table)));
    const open = async () => createDynamoUsageStore({ dynamo: d, table, clock, retentionDays });
    return {
      store: await open(),
      raw: createDynamoUsageRaw({ doc: d, table }),
      clock,
      reopen: open,
      async cleanup() {
        await c.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      },
    };
  },
});
