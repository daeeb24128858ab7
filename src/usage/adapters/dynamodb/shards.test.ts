import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../../core/clock.js';
import { parseChatId, parseTenantId, parseThreadId } from '../../../core/ids.js';
import { useDynamoDbLocal } from '../../../../test/peers/use-dynamodb.js';
import { tableDefinition } from '../../../sessions/adapters/cloud/schema.js';
import { createSqliteUsageStore } from '../sqlite/index.js';
import type { BudgetDecision, UsageScope, UsageStore, UsageTurn } from '../../types.js';
import { createDynamoUsageStore } from './index.js';
import { createDynamoUsageRaw } from './raw.js';

const clients = useDynamoDbLocal();
const ACME = parseTenantId('acme');
const NOW = Date.UTC(2025, 0, 31, 12);
const FEB_1 = Date.UTC(2025, 1, 1);
const tables: string[] = [];

async function newTable(): Promise<string> {
  const table = `usage-shards-${randomBytes(5).toString('hex')}`;
  await clients().client.send(new CreateTableCommand(tableDefinition(table)));
  tables.push(table);
  return table;
}

afterEach(async () => {
  const { client } = clients();
  await Promise.all(
    tables.splice(0).map((t) => client.send(new DeleteTableCommand({ TableName: t })).catch(() => undefined)),
  );
});

/** Turn `i` of a deterministic mix: 40 conversations, 5 users, from 30 Jan 00:00 to 1 Feb 12:00 UTC. */
function mixedTurn(i: number): UsageTurn {
  return {
    tenant: ACME,
    chat: parseChatId(i % 4 === 0 ? `api-${i % 20}` : -1_001_000_000_000 - (i % 20)),
    thread: parseThreadId(i % 40 < 20 ? 'main' : 3),
    userId: 100 + (i % 5),
    sessionId: `s${i}`,
    model: 'claude-sonnet-4-5',
    tokens: { input: 10 + i, output: i % 7, cacheCreation: i % 3, cacheRead: 100 * i },
    costUsd: 0.000_173 * ((i * 37) % 101),
    durationMs: 1000,
    at: Date.UTC(2025, 0, 30) + Math.floor((i * 2.5 * DAY_MS) / 160),
  };
}

/** Five turns at a time: 50 requests, the SDK's socket limit. */
async function recordAll(store: UsageStore, turns: UsageTurn[]): Promise<void> {
  for (let i = 0; i < turns.length; i += 5)
    await Promise.all(turns.slice(i, i + 5).map((t) => store.record(t)));
}

/** The tests recording 40–160 turns (400–1,600 writes) on DynamoDB Local, on 2 shared cores. */
const SLOW = 180_000;

describe('dynamodb usage shards', () => {
  it(
    "writes every usage item of a turn to its conversation's shard and none under pk = tenant",
    async () => {
      const { doc } = clients();
      const table = await newTable();
      const store = createDynamoUsageStore({ dynamo: doc, table, clock: new ManualClock(NOW) });
      const raw = createDynamoUsageRaw({ doc, table });
      const turns = Array.from({ length: 40 }, (_, i) => ({ ...mixedTurn(i), at: NOW }));
      await recordAll(store, turns);

      // The whole table, read without the adapter: every usage item sits on a shard key of acme.
      const scanned =
        (await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
      const usage = scanned.filter((i) => String(i.sk).startsWith('usage#'));
      expect(usage.filter((i) => i.pk === 'acme')).toEqual([]);
      expect(
        (
          await doc.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': 'acme' },
            }),
          )
        ).Items,
      ).toEqual([]);
      // Each item is on the shard of its turn's conversation (the hash computed by raw, not the
      // adapter): turns and conversation counters on exactly that one, tenant and user counters once
      // on each shard their turns went to.
      const pkOf = (t: UsageTurn) => raw.expectedPk(ACME, t.chat, t.thread);
      const tenantPks = new Set(turns.map(pkOf));
      const userPks = (u: number) => new Set(turns.filter((t) => t.userId === u).map(pkOf));
      const expected = (sk: string): string[] => {
        const conv = /^usage#conv#([^:]+):([^#]+)#/.exec(sk);
        if (conv) return [raw.expectedPk(ACME, conv[1] as string, conv[2] as string)];
        const user = /^usage#user#(\d+)#/.exec(sk);
        if (user) return [...userPks(Number(user[1]))];
        if (sk.startsWith('usage#tenant#') || sk.startsWith('usage#model#')) return [...tenantPks];
        throw new Error(`unexpected usage item ${sk}`);
      };
      for (const item of usage) {
        const sk = String(item.sk);
        expect(String(item.pk)).toMatch(/^acme#u[0-7]$/);
        if (sk.startsWith('usage#turn#')) {
          expect(item.pk).toBe(raw.expectedPk(ACME, String(item.chat), String(item.thread)));
        } else {
          expect(expected(sk), sk).toContain(item.pk);
        }
      }
      const userCounters = [100, 101, 102, 103, 104].reduce((n, u) => n + 3 * userPks(u).size, 0);
      // Turns, conversation counters, tenant day/month/all + the model's day counter, user counters.
      expect(usage).toHaveLength(40 + 40 * 3 + 4 * tenantPks.size + userCounters);
      expect(tenantPks.size).toBeGreaterThanOrEqual(7);
      expect(usage.filter((i) => i.sk === 'usage#tenant#day#2025-01-31')).toHaveLength(tenantPks.size);
      expect(await raw.readCounter(ACME, 'tenant#day#2025-01-31')).toMatchObject({ turns: 40 });
      expect((await store.summary({ tenant: ACME }, 'day')).turns).toBe(40);
    },
    SLOW,
  );

  it('still counts usage written under the legacy key (pk = tenant) by earlier releases', async () => {
    const { doc } = clients();
    const table = await newTable();
    const clock = new ManualClock(NOW);
    const store = createDynamoUsageStore({ dynamo: doc, table, clock });
    const raw = createDynamoUsageRaw({ doc, table });
    // Items exactly as the unsharded adapter wrote them, put with plain calls.
    const legacy = async (counter: string, costMicroUsd: number, expiresAt: number) =>
      doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: 'acme',
            sk: `usage#${counter}`,
            kind: 'usage-counter',
            turns: 3,
            inputTokens: 30,
            outputTokens: 6,
            cacheCreationTokens: 0,
            cacheReadTokens: 300,
            costMicroUsd,
            updatedAt: NOW - 1000,
            expiresAt,
            ttl: Math.ceil(expiresAt / 1000),
          },
        }),
      );
    const keep = FEB_1 + 400 * DAY_MS;
    await Promise.all([
      legacy('tenant#day#2025-01-31', 4_000_000, keep),
      legacy('tenant#month#2025-01', 9_000_000, keep),
      legacy('tenant#all', 9_000_000, keep),
      legacy('user#42#day#2025-01-31', 1_500_000, keep),
      legacy('conv#100:main#all', 2_000_000, keep),
      // Expired but not yet deleted by TTL: absent, as before the upgrade.
      legacy('user#43#day#2025-01-31', 7_000_000, NOW - 1),
    ]);
    await store.record({
      tenant: ACME,
      chat: parseChatId(100),
      thread: parseThreadId('main'),
      userId: 42,
      sessionId: 's',
      model: 'm',
      tokens: { input: 1, output: 1, cacheCreation: 1, cacheRead: 1 },
      costUsd: 0.5,
      durationMs: 1,
      at: NOW,
    });

    expect(await store.summary({ tenant: ACME }, 'day')).toEqual({
      turns: 4,
      tokens: { input: 31, output: 7, cacheCreation: 1, cacheRead: 301 },
      costUsd: 4.5,
    });
    expect((await store.summary({ tenant: ACME }, 'month')).costUsd).toBe(9.5);
    expect((await store.summary({ tenant: ACME, userId: 42 }, 'day')).costUsd).toBe(2);
    expect((await store.summary({ tenant: ACME, userId: 43 }, 'day')).turns).toBe(0);
    expect(
      (await store.summary({ tenant: ACME, chat: parseChatId(100), thread: parseThreadId('main') }, 'all'))
        .turns,
    ).toBe(4);
    // A budget is not reset by the upgrade: the legacy spending counts.
    const refused = await store.checkBudget({ tenant: ACME, userId: 42 }, { tenant: { dayUsd: 4.5 } });
    expect(refused).toMatchObject({ allowed: false, scope: 'tenant', spentUsd: 4.5 });
    expect(await raw.readCounter(ACME, 'tenant#day#2025-01-31')).toMatchObject({
      turns: 4,
      costMicroUsd: 4_500_000,
    });
    // The new turn itself went to a shard, not to the legacy key.
    const items = await raw.listItems(ACME);
    expect(
      items
        .filter((i) => i.pk === 'acme')
        .map((i) => i.sk)
        .sort(),
    ).toEqual([
      'usage#conv#100:main#all',
      'usage#tenant#all',
      'usage#tenant#day#2025-01-31',
      'usage#tenant#month#2025-01',
      'usage#user#42#day#2025-01-31',
      'usage#user#43#day#2025-01-31',
    ]);
    expect(items.filter((i) => i.pk !== 'acme')).toHaveLength(11);
  });

  it(
    'gives the totals of the SQLite adapter for the same turns, for every scope, window and budget',
    async () => {
      const { doc } = clients();
      const table = await newTable();
      const clock = new ManualClock(FEB_1 + 12 * 3600_000);
      const dynamo = createDynamoUsageStore({ dynamo: doc, table, clock });
      const sqlite = createSqliteUsageStore({ db: new Database(':memory:'), clock });
      const turns = Array.from({ length: 160 }, (_, i) => mixedTurn(i));
      await Promise.all([recordAll(dynamo, turns), recordAll(sqlite, turns)]);
      const shards = new Set((await createDynamoUsageRaw({ doc, table }).listItems(ACME)).map((i) => i.pk));
      expect(shards.size).toBe(8);

      const scopes: UsageScope[] = [
        { tenant: ACME },
        ...[100, 101, 102, 103, 104].map((userId) => ({ tenant: ACME, userId })),
        ...turns.slice(0, 40).map((t) => ({ tenant: ACME, chat: t.chat, thread: t.thread })),
      ];
      const instants = [Date.UTC(2025, 0, 30, 6), Date.UTC(2025, 0, 31, 18), FEB_1 + 3600_000];
      let compared = 0;
      for (const now of instants) {
        for (const scope of scopes) {
          for (const window of ['day', 'month', 'all'] as const) {
            const [a, b] = await Promise.all([
              dynamo.summary(scope, window, now),
              sqlite.summary(scope, window, now),
            ]);
            expect(a, `${JSON.stringify(scope)} ${window} ${now}`).toEqual(b);
            compared++;
          }
        }
      }
      expect(compared).toBe(3 * 46 * 3);
      expect((await dynamo.summary({ tenant: ACME }, 'all')).turns).toBe(160);
      const budgets = { tenant: { dayUsd: 2, monthUsd: 5 }, user: { dayUsd: 0.5, monthUsd: 0.9 } };
      for (const userId of [100, 101, 102, 103, 104, undefined]) {
        for (const now of instants) {
          const check = { tenant: ACME, estimateUsd: 0.01, ...(userId === undefined ? {} : { userId }) };
          const [a, b]: BudgetDecision[] = await Promise.all([
            dynamo.checkBudget(check, budgets, now),
            sqlite.checkBudget(check, budgets, now),
          ]);
          expect(a).toEqual(b);
        }
      }
      await sqlite.close();
    },
    SLOW,
  );

  it('keeps the totals when the shard count is raised (every shard read, old ones included)', async () => {
    const { doc } = clients();
    const table = await newTable();
    const clock = new ManualClock(NOW);
    const turns = Array.from({ length: 40 }, (_, i) => ({ ...mixedTurn(i), at: NOW }));
    const eight = createDynamoUsageStore({ dynamo: doc, table, clock });
    await recordAll(eight, turns.slice(0, 20));
    const sixteen = createDynamoUsageStore({ dynamo: doc, table, clock, shards: 16 });
    const before = await eight.summary({ tenant: ACME }, 'day');
    expect(await sixteen.summary({ tenant: ACME }, 'day')).toEqual(before);
    await recordAll(sixteen, turns.slice(20));
    expect((await sixteen.summary({ tenant: ACME }, 'all')).turns).toBe(40);
    const pks = new Set(
      (await createDynamoUsageRaw({ doc, table, shards: 16 }).listItems(ACME)).map((i) => i.pk),
    );
    expect([...pks].some((pk) => Number(pk.slice('acme#u'.length)) >= 8)).toBe(true);
    expect(() => createDynamoUsageStore({ dynamo: doc, table, shards: 25 })).toThrow(/1–24/);
  });
});
