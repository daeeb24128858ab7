import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { useDynamoDbLocal } from '../../../test/peers/use-dynamodb.js';
import { ManualClock } from '../../core/clock.js';
import { StorageError } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import { runDeduperConformance } from './conformance.js';
import { createDynamoDeduper } from './dynamo.js';

const clients = useDynamoDbLocal();

/** A fresh table shaped like template.yaml's `DedupeTable` (hash key `pk`). */
async function createTable(): Promise<{ table: string; drop(): Promise<void> }> {
  const { client: c } = clients();
  const table = `dedupe-${randomBytes(5).toString('hex')}`;
  await c.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  return {
    table,
    drop: async () => {
      await c.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    },
  };
}

runDeduperConformance('dynamodb (DynamoDB Local)', async ({ clock, ttlMs }) => {
  const { table, drop } = await createTable();
  return { deduper: createDynamoDeduper({ dynamo: clients().doc, table, clock, ttlMs }), cleanup: drop };
});

describe('createDynamoDeduper: what it writes', () => {
  const tenant = 'acme' as TenantId;

  it('keys items by tenant and update id, with ttl in epoch seconds rounded up', async () => {
    const { table, drop } = await createTable();
    try {
      const clock = new ManualClock(Date.UTC(2026, 10, 20, 8, 30, 0) + 400);
      const d = createDynamoDeduper({ dynamo: clients().doc, table, clock, ttlMs: 60_000 });
      expect(await d.claim(tenant, 42)).toBe(true);
      const raw = await clients().doc.send(
        new GetCommand({ TableName: table, Key: { pk: 'acme#update#42' } }),
      );
      expect(raw.Item).toEqual({
        pk: 'acme#update#42',
        ttl: Math.ceil((clock.now() + 60_000) / 1000),
        claim: expect.stringMatching(/^[0-9a-f]{16}$/), // recognises its own retry (lost response)
      });
      await d.release(tenant, 42);
      const gone = await clients().doc.send(
        new GetCommand({ TableName: table, Key: { pk: 'acme#update#42' } }),
      );
      expect(gone.Item).toBeUndefined();
    } finally {
      await drop();
    }
  });

  it('defaults to a one-day TTL and takes over an expired item DynamoDB has not deleted yet', async () => {
    const { table, drop } = await createTable();
    try {
      const clock = new ManualClock(Date.UTC(2026, 10, 20));
      const nowSeconds = clock.now() / 1000;
      // Left behind by an earlier claim whose TTL passed a minute ago (TTL deletion is lazy).
      await clients().doc.send(
        new PutCommand({ TableName: table, Item: { pk: 'acme#update#7', ttl: nowSeconds - 60 } }),
      );
      const d = createDynamoDeduper({ dynamo: clients().doc, table, clock });
      expect(await d.claim(tenant, 7)).toBe(true);
      const raw = await clients().doc.send(
        new GetCommand({ TableName: table, Key: { pk: 'acme#update#7' } }),
      );
      expect(raw.Item?.ttl).toBe(nowSeconds + 24 * 60 * 60);
      expect(await d.claim(tenant, 7)).toBe(false);
    } finally {
      await drop();
    }
  });

  it('reports backend failures as StorageError (so the webhook answers 5xx and Telegram retries)', async () => {
    const d = createDynamoDeduper({ dynamo: clients().doc, table: 'no-such-table' });
    const error = await d.claim(tenant, 1).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      /^\[telegram:dedupe-dynamo\] claim failed: ResourceNotFoundException/,
    );
    await expect(d.release(tenant, 1)).rejects.toBeInstanceOf(StorageError);
  });
});
