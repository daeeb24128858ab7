/**
 * Usage reads on DynamoDB Local (issue 20, docs/scale.md §8.2): what sharding a tenant's usage over
 * N keys costs the reads. Before, a budget check was one BatchGetItem of its counters under
 * `pk` = tenant; now every counter is read on the N shards plus the legacy key, still in one
 * BatchGetItem. Side by side in one run, interleaved sample by sample:
 *
 * - `before_budget`: the request the unsharded adapter sent for a budget check (tenant + user, day +
 *   month: 4 keys under `pk` = tenant, consistent), issued as a plain BatchGetItem;
 * - `budget_n1` / `budget_n8` / `budget_n24`: `UsageStore.checkBudget` with the same four limits on
 *   the sharded adapter with 1, 8 (the default) and 24 shards: 8, 36 and 100 keys;
 * - `before_summary` / `summary_n8`: one counter (a `/cost` or `GET /v1/usage` line): 1 key vs 9.
 *
 * The tenant is seeded with 2,000 turns over 500 conversations and 10 users through the 8-shard
 * store, plus the four counters under the legacy key. The seeding goes through a proxy that counts
 * write requests by `pk` (`lib/partition-proxy.ts`): the busiest key's share of a turn's writes
 * gives the turns/s at which it reaches a partition's 1,000 WCU/s (before: all 10 on `pk` =
 * tenant, 100 turns/s). Read units are DynamoDB Local's `ConsumedCapacity` for the same keys (it
 * counts found items only; AWS bills a consistent read of a missing item too). Ends with one JSON
 * line.
 *
 *   npm run bench -- usage [--samples 300 --turns 2000]
 */
import { cpus, loadavg } from 'node:os';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ManualClock } from '../src/core/clock.js';
import { parseChatId, parseTenantId, parseThreadId } from '../src/core/ids.js';
import { tableDefinition } from '../src/sessions/adapters/cloud/schema.js';
import { createDynamoUsageStore } from '../src/usage/adapters/dynamodb/index.js';
import type { Budgets, UsageStore } from '../src/usage/index.js';
import { startDynamoDbLocal } from '../test/peers/dynamodb.js';
import { startPartitionProxy } from './lib/partition-proxy.js';
import { numberArg, round, spread } from './lib/stats.js';

const SAMPLES = numberArg('samples', 300);
const TURNS = numberArg('turns', 2000);
/** A partition's write limit (docs/scale.md §2). */
const PARTITION_WCU = 1000;
const TENANT = parseTenantId('bench');
const NOW = Date.UTC(2026, 11, 2, 12);
const COUNTERS = [
  'tenant#day#2026-12-02',
  'tenant#month#2026-12',
  'user#7#day#2026-12-02',
  'user#7#month#2026-12',
];
const BUDGETS: Budgets = { tenant: { dayUsd: 1e6, monthUsd: 1e6 }, user: { dayUsd: 1e6, monthUsd: 1e6 } };
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const peer = await startDynamoDbLocal();
const client = new DynamoDBClient({
  endpoint: peer.endpoint,
  region: peer.region,
  credentials: peer.credentials,
});
const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const proxy = await startPartitionProxy(peer.endpoint);
const counted = new DynamoDBClient({
  endpoint: proxy.url,
  region: peer.region,
  credentials: peer.credentials,
});
try {
  const table = 'usage-bench';
  await client.send(new CreateTableCommand(tableDefinition(table)));
  const clock = new ManualClock(NOW);
  const stores: Record<string, UsageStore> = {
    n1: createDynamoUsageStore({ dynamo: doc, table, clock, shards: 1 }),
    n8: createDynamoUsageStore({ dynamo: doc, table, clock, shards: 8 }),
    n24: createDynamoUsageStore({ dynamo: doc, table, clock, shards: 24 }),
  };
  const n8 = stores.n8 as UsageStore;
  const seeder = createDynamoUsageStore({
    dynamo: DynamoDBDocumentClient.from(counted, { marshallOptions: { removeUndefinedValues: true } }),
    table,
    clock,
  });

  log(`seeding ${TURNS} turns over ${TURNS / 4} conversations (8 shards) and the legacy counters`);
  for (let i = 0; i < TURNS; i += 20) {
    await Promise.all(
      Array.from({ length: 20 }, (_, j) => {
        const t = i + j;
        return seeder.record({
          tenant: TENANT,
          chat: parseChatId(-1_001_000_000_000 - (t % (TURNS / 4))),
          thread: parseThreadId('main'),
          userId: t % 10,
          sessionId: `s${t}`,
          model: 'claude-sonnet-4-5',
          tokens: { input: 1000, output: 200, cacheCreation: 100, cacheRead: 20_000 },
          costUsd: 0.02,
          durationMs: 12_000,
          at: NOW - 60_000,
        });
      }),
    );
  }
  await Promise.all(
    COUNTERS.map((name) =>
      doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: TENANT,
            sk: `usage#${name}`,
            kind: 'usage-counter',
            turns: 5,
            inputTokens: 5000,
            outputTokens: 1000,
            cacheCreationTokens: 500,
            cacheReadTokens: 100_000,
            costMicroUsd: 100_000,
            updatedAt: NOW - 86_400_000,
            expiresAt: NOW + 400 * 86_400_000,
            ttl: Math.ceil((NOW + 400 * 86_400_000) / 1000),
          },
        }),
      ),
    ),
  );

  const keysOf = (pks: string[], names: string[]) =>
    pks.flatMap((pk) => names.map((n) => ({ pk, sk: `usage#${n}` })));
  const shardPks = (n: number) => [...Array.from({ length: n }, (_, k) => `${TENANT}#u${k}`), TENANT];
  const batchGet = (keys: Array<Record<string, string>>) =>
    doc.send(
      new BatchGetCommand({
        RequestItems: { [table]: { Keys: keys, ConsistentRead: true } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  const rcu = async (keys: Array<Record<string, string>>) =>
    (await batchGet(keys)).ConsumedCapacity?.reduce((a, c) => a + (c.CapacityUnits ?? 0), 0) ?? Number.NaN;

  const cases: Record<string, () => Promise<unknown>> = {
    before_budget: () => batchGet(keysOf([TENANT], COUNTERS)),
    budget_n1: () => stores.n1!.checkBudget({ tenant: TENANT, userId: 7 }, BUDGETS),
    budget_n8: () => n8.checkBudget({ tenant: TENANT, userId: 7 }, BUDGETS),
    budget_n24: () => stores.n24!.checkBudget({ tenant: TENANT, userId: 7 }, BUDGETS),
    before_summary: () => batchGet(keysOf([TENANT], ['tenant#day#2026-12-02'])),
    summary_n8: () => n8.summary({ tenant: TENANT }, 'day'),
  };
  const names = Object.keys(cases);
  const samples = new Map(names.map((n) => [n, [] as number[]]));
  for (let i = 0; i < 20; i++) for (const n of names) await cases[n]!();
  log(`measuring ${SAMPLES} samples of ${names.join(', ')} (interleaved, rotating order)`);
  for (let i = 0; i < SAMPLES; i++) {
    for (let j = 0; j < names.length; j++) {
      const n = names[(i + j) % names.length] as string;
      const t = performance.now();
      await cases[n]!();
      samples.get(n)!.push(performance.now() - t);
    }
  }

  const writes = [...proxy.writesByPk()].sort(([a], [b]) => a.localeCompare(b));
  const busiest = Math.max(...writes.map(([, n]) => n));
  const check = await n8.checkBudget({ tenant: TENANT, userId: 7 }, { tenant: { dayUsd: TURNS * 0.02 } });
  const totals = await n8.summary({ tenant: TENANT }, 'day');
  const result = {
    bench: 'usage',
    samples: SAMPLES,
    latency_ms: Object.fromEntries(names.map((n) => [n, spread(samples.get(n)!)])),
    keys_per_read: {
      before_budget: 4,
      budget_n1: 8,
      budget_n8: 36,
      budget_n24: 100,
      before_summary: 1,
      summary_n8: 9,
    },
    read_units_dynamodb_local: {
      before_budget: await rcu(keysOf([TENANT], COUNTERS)),
      budget_n1: await rcu(keysOf(shardPks(1), COUNTERS)),
      budget_n8: await rcu(keysOf(shardPks(8), COUNTERS)),
      budget_n24: await rcu(keysOf(shardPks(24), COUNTERS)),
    },
    write_spread: {
      turns: TURNS,
      conversations: TURNS / 4,
      writes_by_pk: Object.fromEntries(writes),
      busiest_pk_writes_per_turn: round(busiest / TURNS, 3),
      tenant_turns_per_s_at_partition_limit: Math.floor(PARTITION_WCU / (busiest / TURNS)),
      before_turns_per_s_at_partition_limit: PARTITION_WCU / 10,
    },
    // TURNS × $0.02 + the legacy $0.10: the sum over shards and the legacy key.
    check: {
      tenant_day_turns: totals.turns,
      tenant_day_usd: round(totals.costUsd, 4),
      refused: !check.allowed,
    },
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model.split(' ').slice(0, 2).join(' '),
      node: process.version,
    },
    load_avg: loadavg().map((l) => round(l, 2)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  counted.destroy();
  await proxy.close();
  client.destroy();
  await peer.stop();
}
