import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { useDynamoDbLocal } from '../../../../test/peers/use-dynamodb.js';
import { tableDefinition } from '../../../sessions/adapters/cloud/schema.js';
import { runApprovalConformance, type RawApprovalBackend } from '../conformance.js';
import { TENANT_A, chatKey, pendingRecord } from '../conformance/fixtures.js';
import { createDynamoApprovalStore } from './index.js';

/**
 * Reads the approval items with plain GetItem/Query and its own spelling of the layout
 * (docs/storage.md): `keepUntil` is taken from the TTL attribute, which is what DynamoDB deletes by.
 */
function dynamoRaw(doc: DynamoDBDocumentClient, table: string, tenants: string[]): RawApprovalBackend {
  return {
    async readApproval(tenant, id) {
      const res = await doc.send(
        new GetCommand({
          TableName: table,
          Key: { pk: tenant, sk: `appr#${tenant}#${id}` },
          ConsistentRead: true,
        }),
      );
      const item = res.Item;
      if (!item) return null;
      const log = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND sk = :sk',
          ExpressionAttributeValues: {
            ':pk': tenant,
            ':sk': `apprlog#${tenant}:${item.chat}:${item.thread}#${String(item.createdAt).padStart(13, '0')}#${id}`,
          },
          ConsistentRead: true,
        }),
      );
      // Every request has its log item and its tenant log item, with the same TTL.
      if (log.Items?.length !== 1 || log.Items[0]?.ttl !== item.ttl)
        throw new Error(`raw: no log item for ${id}`);
      const tenantLog = await doc.send(
        new GetCommand({
          TableName: table,
          Key: { pk: tenant, sk: `apprtlog#${String(item.createdAt).padStart(13, '0')}#${id}` },
          ConsistentRead: true,
        }),
      );
      if (tenantLog.Item?.id !== id || tenantLog.Item?.ttl !== item.ttl)
        throw new Error(`raw: no tenant log item for ${id}`);
      return {
        conversation: `${tenant}:${item.chat}:${item.thread}`,
        status: item.status,
        input: item.input,
        summary: item.summary,
        createdAt: item.createdAt,
        expiresAt: item.expiresAt,
        keepUntil: Number(item.ttl) * 1000,
        ...(item.resolvedAt !== undefined ? { resolvedAt: item.resolvedAt } : {}),
        ...(item.resolvedBy !== undefined ? { resolvedBy: item.resolvedBy } : {}),
        ...(item.resolvedByRequest !== undefined ? { resolvedByRequest: item.resolvedByRequest } : {}),
        ...(item.notice !== undefined ? { notice: item.notice } : {}),
      };
    },
    async readGrants(conversation, sessionId) {
      const tenant = conversation.split(':')[0] as string;
      const res = await doc.send(
        new GetCommand({
          TableName: table,
          Key: { pk: tenant, sk: `grant#${conversation}#${sessionId}` },
          ConsistentRead: true,
        }),
      );
      if (!res.Item) return null;
      if (res.Item.ttl !== Math.ceil(res.Item.expiresAt / 1000))
        throw new Error('raw: grant ttl differs from expiresAt');
      return { rules: res.Item.rules, expiresAt: res.Item.expiresAt };
    },
    async listKeys() {
      const keys: string[] = [];
      for (const tenant of tenants) {
        const res = await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': tenant },
            ConsistentRead: true,
          }),
        );
        keys.push(...(res.Items ?? []).map((i) => `${i.pk} ${i.sk}`));
      }
      return keys;
    },
  };
}

const clients = useDynamoDbLocal();

runApprovalConformance({
  name: 'dynamodb (DynamoDB Local, the sessions table definition)',
  async create({ clock, retentionDays }) {
    const { client, doc } = clients();
    const table = `approvals-${randomBytes(5).toString('hex')}`;
    await client.send(new CreateTableCommand(tableDefinition(table)));
    return {
      store: createDynamoApprovalStore({ doc, table, clock, retentionDays }),
      // Every tenant the suite uses (hostile tenant ids never reach the table).
      raw: dynamoRaw(doc, table, ['acme', 'globex']),
      clock,
      async cleanup() {
        await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      },
    };
  },
});

describe('dynamodb approval store', () => {
  it('retries a create that AWS cancelled for a TransactionConflict (DynamoDB Local never reports one)', async () => {
    const { client, doc } = clients();
    const table = `approvals-${randomBytes(5).toString('hex')}`;
    await client.send(new CreateTableCommand(tableDefinition(table)));
    try {
      let conflicts = 0;
      const flaky = {
        send(command: unknown) {
          if (command instanceof TransactWriteCommand && conflicts < 2) {
            conflicts += 1;
            return Promise.reject(
              Object.assign(new Error('Transaction cancelled'), {
                name: 'TransactionCanceledException',
                CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }],
              }),
            );
          }
          return doc.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient;
      const clock = new ManualClock();
      const store = createDynamoApprovalStore({ doc: flaky, table, clock });
      const record = pendingRecord(chatKey(), clock.now());
      await store.create(record);
      expect(conflicts).toBe(2);
      expect(await store.get(TENANT_A, record.id)).toEqual(record);
    } finally {
      await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    }
  });
});
