import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.js';
import { useDynamoDbLocal } from '../../../../test/peers/use-dynamodb.js';
import { tableDefinition } from '../../../sessions/adapters/cloud/schema.js';
import { createCloudStorage } from '../../../sessions/adapters/cloud/storage.js';
import type { ScheduleRecord } from '../../types.js';
import { runScheduleConformance, type RawScheduleBackend } from '../conformance.js';
import { TENANTS, TENANT_A, TENANT_B, scheduleName, scheduleRecord } from '../conformance/fixtures.js';
import { createDynamoClaimStore, createDynamoScheduleStore } from '../dynamodb.js';

/**
 * Reads the items with plain GetItem/Query and its own spelling of the layout (docs/storage.md):
 * claims must carry `ttl` = their expiry in epoch seconds (rounded up), schedules no `ttl`, and the
 * tenant's index item must name exactly its schedules.
 */
function dynamoRaw(doc: DynamoDBDocumentClient, table: string): RawScheduleBackend {
  const getItem = async (pk: string, sk: string) =>
    (await doc.send(new GetCommand({ TableName: table, Key: { pk, sk }, ConsistentRead: true }))).Item;
  const partition = async (pk: string) =>
    (
      await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      )
    ).Items ?? [];
  return {
    async readSchedule(tenant, name) {
      const item = await getItem(tenant, `sched#${name}`);
      const index = await getItem(tenant, 'schedidx');
      const indexed = (index?.names as Set<string> | undefined)?.has(name) ?? false;
      if (indexed !== (item !== undefined)) throw new Error(`raw: index and item of ${name} disagree`);
      if (!item) return null;
      if ('ttl' in item) throw new Error(`raw: schedule ${name} has a ttl`);
      // `writeId`: the last replace's own-write marker (a lost response's retry recognises it).
      const { pk, sk: _sk, kind, writeId, ...fields } = item;
      if (writeId !== undefined && typeof writeId !== 'string') throw new Error(`raw: ${name} writeId`);
      if (kind !== 'schedule') throw new Error(`raw: schedule ${name} has kind ${String(kind)}`);
      return { tenant: pk, ...fields } as ScheduleRecord;
    },
    async readClaim(tenant, key) {
      const item = await getItem(tenant, `claim#${key}`);
      if (!item) return null;
      if (item.ttl !== Math.ceil(item.expiresAt / 1000))
        throw new Error(`raw: claim ${key} ttl differs from expiry`);
      return { value: item.value, count: item.count, expiresAt: item.expiresAt };
    },
    async listKeys() {
      const keys: string[] = [];
      for (const tenant of TENANTS) {
        const items = await partition(tenant);
        // The index item of a tenant whose schedules were all removed holds no names: not a record.
        keys.push(...items.filter((i) => !(i.sk === 'schedidx' && !i.names)).map((i) => `${i.pk} ${i.sk}`));
      }
      return keys;
    },
  };
}

const clients = useDynamoDbLocal();

async function newTable(): Promise<string> {
  const table = `schedules-${randomBytes(5).toString('hex')}`;
  await clients().client.send(new CreateTableCommand(tableDefinition(table)));
  return table;
}

const dropTable = (table: string) =>
  clients()
    .client.send(new DeleteTableCommand({ TableName: table }))
    .then(
      () => undefined,
      () => undefined,
    );

runScheduleConformance({
  name: 'dynamodb (DynamoDB Local, the sessions table definition)',
  async create({ clock }) {
    const { client, doc } = clients();
    const table = await newTable();
    // Built the way the deployment builds them: through the cloud storage.
    const storage = createCloudStorage({ s3: {} as never, dynamo: client, bucket: 'unused', table, clock });
    return {
      schedules: storage.schedules,
      claims: storage.claims,
      raw: dynamoRaw(doc, table),
      clock,
      cleanup: () => dropTable(table),
    };
  },
});

describe('dynamodb schedule store', () => {
  it('retries a create or remove that AWS cancelled for a TransactionConflict (DynamoDB Local never reports one)', async () => {
    const { doc } = clients();
    const table = await newTable();
    try {
      // Every other transaction is cancelled for a conflict: the first attempt of each operation.
      let transactions = 0;
      const flaky = {
        send(command: unknown) {
          if (command instanceof TransactWriteCommand && ++transactions % 2 === 1) {
            return Promise.reject(
              Object.assign(new Error('Transaction cancelled'), {
                name: 'TransactionCanceledException',
                CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
              }),
            );
          }
          return doc.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient;
      const store = createDynamoScheduleStore({ doc: flaky, table });
      expect((await store.put(scheduleRecord('flaky'), 0)).version).toBe(1);
      expect(await store.remove(TENANT_A, scheduleName('flaky'))).toBe(true);
      expect(transactions).toBe(4);
      expect(await store.get(TENANT_A, scheduleName('flaky'))).toBeNull();
    } finally {
      await dropTable(table);
    }
  });

  it('frees the limit place of a schedule item deleted by hand when its name is removed', async () => {
    const { doc } = clients();
    const table = await newTable();
    try {
      const store = createDynamoScheduleStore({ doc, table });
      await store.put(scheduleRecord('by-hand'));
      await store.put(scheduleRecord('kept'));
      await doc.send(new DeleteCommand({ TableName: table, Key: { pk: TENANT_A, sk: 'sched#by-hand' } }));
      const names = async () =>
        (await doc.send(new GetCommand({ TableName: table, Key: { pk: TENANT_A, sk: 'schedidx' } }))).Item
          ?.names as Set<string> | undefined;
      expect([...((await names()) ?? [])].sort()).toEqual(['by-hand', 'kept']);
      expect(await store.remove(TENANT_A, scheduleName('by-hand'))).toBe(false);
      expect([...((await names()) ?? [])]).toEqual(['kept']);
      // Removing an unknown name of a tenant without schedules creates nothing.
      expect(await store.remove(TENANT_B, scheduleName('never'))).toBe(false);
      const b = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': TENANT_B },
        }),
      );
      expect(b.Items).toEqual([]);
    } finally {
      await dropTable(table);
    }
  });

  it('names a malformed item as corrupt instead of returning half a record', async () => {
    const { doc } = clients();
    const table = await newTable();
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: { pk: TENANT_A, sk: 'sched#broken', name: 'broken', timing: { type: 'cron' }, version: 1 },
        }),
      );
      const store = createDynamoScheduleStore({ doc, table });
      const err = await store.get(TENANT_A, scheduleName('broken')).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'storage_corrupt' });
      expect((err as Error).message).toMatch(/\[schedules:dynamodb\] schedule item sched#broken has/);
    } finally {
      await dropTable(table);
    }
  });
});

describe('dynamodb claim store', () => {
  it('answers "created" to the retry of its own PutItem whose first response was lost', async () => {
    const { doc } = clients();
    const table = await newTable();
    try {
      let lost = false;
      const lossy = {
        async send(command: unknown) {
          const out = await doc.send(command as never);
          if (command instanceof PutCommand && !lost) {
            lost = true;
            // The SDK's retry sends the same request again; the first one was applied.
            return doc.send(command as never);
          }
          return out;
        },
      } as unknown as DynamoDBDocumentClient;
      const clock = new ManualClock();
      const claims = createDynamoClaimStore({ doc: lossy, table, clock });
      expect(await claims.putIfAbsent(TENANT_A, 'once', 'mine', 60_000)).toEqual({
        created: true,
        value: 'mine',
      });
      expect(lost).toBe(true);
      expect(await claims.putIfAbsent(TENANT_A, 'once', 'other', 60_000)).toEqual({
        created: false,
        value: 'mine',
      });
    } finally {
      await dropTable(table);
    }
  });
});
