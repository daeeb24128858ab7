import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { useDynamoDbLocal } from '../../../../test/peers/use-dynamodb.js';
import { tableDefinition } from '../../../sessions/adapters/cloud/schema.js';
import { runUsageConformance } from '../../conformance.js';
import { createDynamoUsageStore } from './index.js';
import { createDynamoUsageRaw } from './raw.js';

const clients = useDynamoDbLocal();

runUsageConformance({
  name: 'dynamodb (DynamoDB Local, the sessions table definition)',
  async create({ clock, retentionDays }) {
    const { client: c, doc: d } = clients();
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
