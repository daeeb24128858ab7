import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient, toDocumentClient } from '../../src/aws/dynamodb.js';
import { LeaseConflictError } from '../../src/core/errors.js';
import { parseSessionId, type ChatId, type TenantId, type ThreadId } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { conversationPk, leaseSk } from '../../src/sessions/adapters/cloud/schema.js';
import { readSessionItem } from '../../src/sessions/catalog/dynamodb.js';
import { scheduleRecord } from '../../src/schedules/store/conformance/fixtures.js';
import { createDynamoUsageStore } from '../../src/usage/adapters/dynamodb/index.js';
import { createDynamoUsageRaw } from '../../src/usage/adapters/dynamodb/raw.js';
import { createDynamoDeduper, dedupeKey } from '../../src/telegram/dedupe/dynamo.js';
import { startFaultProxy, type FaultProxy } from '../reliability/support/fault-proxy.js';
import { useCloudWorlds } from '../support/cloud-world.js';

/**
 * A conditional write whose response is lost: DynamoDB applied it, the client could not know and
 * retried the same request, and the retry failed its condition on the first attempt's own write.
 * Lease acquisition and the ingress dedupe claim recognise their own write (the item the failed
 * condition found, `ReturnValuesOnConditionCheckFailure`) instead of reporting a conflict: before,
 * the lease stayed held by nobody until its TTL (one message took 124 s in the fault suite) and
 * the update was answered as a duplicate and dropped. Real DynamoDB Local behind the fault proxy,
 * the project's own client and retry policy.
 */
const cloud = useCloudWorlds();
let proxy: FaultProxy;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: cloud.peers().dynamodb.endpoint });
});
afterAll(async () => {
  await proxy?.close();
});

/** A document client through the proxy, built like the app builds its clients. */
function proxiedDoc() {
  const { region, credentials } = cloud.peers().dynamodb;
  const client = createDynamoClient({ endpoint: proxy.url, region, credentials: { ...credentials } });
  cloud.onCleanup(async () => client.destroy());
  return toDocumentClient(client);
}

/**
 * Lose the response of the first attempt of the first `operation` request (whose body contains
 * `marker`, when given), forward everything else.
 */
function loseFirst(operation: string, marker?: string): { body?: string } {
  const lost: { body?: string } = {};
  proxy.resetStats();
  proxy.setDecide((request) => {
    if (lost.body !== undefined || request.operation !== operation) return undefined;
    const body = request.body.toString('utf8');
    if (marker !== undefined && !body.includes(marker)) return undefined;
    lost.body = body;
    return { kind: 'lost-response' };
  });
  cloud.onCleanup(async () => proxy.setDecide(() => undefined));
  return lost;
}

/** The SDK filled the transaction's idempotency token: DynamoDB answers its retry as a success. */
function expectIdempotencyToken(lost: { body?: string }): void {
  expect(JSON.parse(lost.body ?? '{}')).toMatchObject({ ClientRequestToken: expect.any(String) });
}

/** The proxy lost exactly one response and the SDK retried it. */
function expectOneLost(): void {
  expect(proxy.stats.faults['lost-response']).toBe(1);
  expect(proxy.stats.retries).toBeGreaterThanOrEqual(1);
}

describe('a conditional write whose response was lost', () => {
  it('lease acquire: the retry finds its own lease and takes it — no wait for the TTL, still exclusive', async () => {
    const w = await cloud.world();
    const storage = w.container({ dynamo: proxiedDoc() });
    const direct = w.container();
    const key = conversationKey({ tenant: 'acme', chat: 'lost-lease' });

    loseFirst('UpdateItem');
    const lease = await storage.leases.acquire(key, { ttlMs: 60_000, waitMs: 0 });
    expect(proxy.stats.faults['lost-response']).toBe(1);
    expect(proxy.stats.retries).toBeGreaterThanOrEqual(1);

    // The lease the caller holds is the one stored: same owner, token and expiry.
    const { Item } = await cloud
      .peers()
      .doc.send(new GetCommand({ TableName: w.table, Key: { pk: conversationPk(key), sk: leaseSk(key) } }));
    expect(Item).toMatchObject({ owner: lease.owner, token: lease.token, expiresAt: lease.expiresAt });
    // Still a single writer: another worker is refused while it is held…
    await expect(direct.leases.acquire(key, { ttlMs: 60_000, waitMs: 0 })).rejects.toBeInstanceOf(
      LeaseConflictError,
    );
    // … and the holder can release it (owner and token match), so the next turn need not wait.
    await storage.leases.release(lease);
    const next = await direct.leases.acquire(key, { ttlMs: 60_000, waitMs: 0 });
    expect(next.token).toBe(lease.token + 1);
    await direct.leases.release(next);
  });

  it('lease acquire: a lease another worker really holds is still refused (the check is by owner)', async () => {
    const w = await cloud.world();
    const key = conversationKey({ tenant: 'acme', chat: 'held' });
    const holder = await w.container().leases.acquire(key, { ttlMs: 60_000 });
    await expect(
      w.container({ dynamo: proxiedDoc() }).leases.acquire(key, { ttlMs: 60_000, waitMs: 0 }),
    ).rejects.toBeInstanceOf(LeaseConflictError);
    await w.container().leases.release(holder);
  });

  it('dedupe claim: the retry finds its own claim → claimed, so the update is processed, once', async () => {
    const table = await cloud.peers().newDedupeTable();
    const tenant = 'acme' as TenantId;
    const deduper = createDynamoDeduper({ dynamo: proxiedDoc(), table });

    loseFirst('PutItem');
    expect(await deduper.claim(tenant, 4242)).toBe(true);
    expect(proxy.stats.faults['lost-response']).toBe(1);
    expect(proxy.stats.retries).toBeGreaterThanOrEqual(1);
    const { Item } = await cloud
      .peers()
      .doc.send(new GetCommand({ TableName: table, Key: { pk: dedupeKey(tenant, 4242) } }));
    expect(Item?.claim).toEqual(expect.any(String));

    // A real re-delivery of the same update is still a duplicate; another update is new.
    expect(await deduper.claim(tenant, 4242)).toBe(false);
    expect(await createDynamoDeduper({ dynamo: cloud.peers().doc, table }).claim(tenant, 4242)).toBe(false);
    expect(await deduper.claim(tenant, 4243)).toBe(true);
  });
});

/**
 * The audit of issue 18 (docs/reliability.md, finding 2): every other write a retry of its own
 * lost first attempt could trip on. Each test loses the first response of the write under test and
 * checks the stored item raw: applied once, and the caller told what really happened.
 */
describe('the other writes whose response was lost: applied once', () => {
  const tenant = 'acme' as TenantId;

  it('conversation map touch (ADD turns), live record: counted once', async () => {
    const w = await cloud.world();
    const key = conversationKey({ tenant: 'acme', chat: 'touch-live' });
    const sid = parseSessionId(randomUUID());
    await w.container().conversations.touch(key, sid);
    loseFirst('UpdateItem');
    const record = await w.container({ dynamo: proxiedDoc() }).conversations.touch(key, sid);
    expectOneLost();
    expect(record.turns).toBe(2);
    expect((await w.container().conversations.get(key))?.turns).toBe(2);
  });

  it('conversation map touch, new record (conditional Put): counted once', async () => {
    const w = await cloud.world();
    const key = conversationKey({ tenant: 'acme', chat: 'touch-new' });
    loseFirst('PutItem');
    const record = await w
      .container({ dynamo: proxiedDoc() })
      .conversations.touch(key, parseSessionId(randomUUID()));
    expectOneLost();
    expect(record.turns).toBe(1);
    expect((await w.container().conversations.get(key))?.turns).toBe(1);
  });

  it('session catalog recordTurn (ADD turns, costUsd), kept entry: counted once', async () => {
    const w = await cloud.world();
    const key = conversationKey({ tenant: 'acme', chat: 'catalog-live' });
    const sid = parseSessionId(randomUUID());
    const turn = { at: w.clock.now(), title: 'first', costUsd: 0.25, model: 'sonnet' };
    await w.container().sessions.recordTurn(key, sid, turn);
    loseFirst('UpdateItem');
    const info = await w.container({ dynamo: proxiedDoc() }).sessions.recordTurn(key, sid, turn);
    expectOneLost();
    expect(info).toMatchObject({ turns: 2, costUsd: 0.5 });
    expect(await readSessionItem({ doc: cloud.peers().doc, table: w.table }, key, sid)).toMatchObject({
      turns: 2,
      costUsd: 0.5,
    });
  });

  it('session catalog recordTurn, new entry (TransactWriteItems): counted once', async () => {
    const w = await cloud.world();
    const key = conversationKey({ tenant: 'acme', chat: 'catalog-new' });
    const sid = parseSessionId(randomUUID());
    const lost = loseFirst('TransactWriteItems');
    const info = await w
      .container({ dynamo: proxiedDoc() })
      .sessions.recordTurn(key, sid, { at: w.clock.now(), title: 'q', costUsd: 0.25, model: null });
    expectOneLost();
    expectIdempotencyToken(lost);
    expect(info).toMatchObject({ turns: 1, costUsd: 0.25 });
    expect(await readSessionItem({ doc: cloud.peers().doc, table: w.table }, key, sid)).toMatchObject({
      turns: 1,
      costUsd: 0.25,
    });
  });

  it('usage counters (ADD): a turn is counted once in every counter', async () => {
    const w = await cloud.world();
    const usage = createDynamoUsageStore({ dynamo: proxiedDoc(), table: w.table, clock: w.clock });
    const turn = {
      tenant,
      chat: 'usage' as ChatId,
      thread: 'main' as ThreadId,
      userId: 42,
      sessionId: randomUUID(),
      model: 'sonnet',
      tokens: { input: 100, output: 10, cacheCreation: 0, cacheRead: 0 },
      costUsd: 0.5,
      durationMs: 1000,
      at: w.clock.now(),
    };
    await usage.record(turn);
    loseFirst('UpdateItem', 'usage#tenant#day');
    await usage.record(turn);
    expectOneLost();
    const raw = createDynamoUsageRaw({ doc: cloud.peers().doc, table: w.table });
    for (const name of await raw.listTenantKeys(tenant)) {
      if (name.startsWith('turn#')) continue;
      expect({ name, turns: (await raw.readCounter(tenant, name))?.turns }).toEqual({ name, turns: 2 });
    }
    expect(await raw.listTurns(tenant)).toHaveLength(2);
  });

  it('schedule put at an expected version (ADD version): no conflict with itself', async () => {
    const w = await cloud.world();
    const record = scheduleRecord('nightly', { createdAt: w.clock.now(), updatedAt: w.clock.now() });
    const created = await w.container().schedules.put(record, 0);
    loseFirst('UpdateItem');
    const replaced = await w
      .container({ dynamo: proxiedDoc() })
      .schedules.put({ ...record, prompt: 'changed' }, created.version);
    expectOneLost();
    expect(replaced.version).toBe(created.version + 1);
    expect(await w.container().schedules.get(record.tenant, record.name)).toMatchObject({
      prompt: 'changed',
      version: created.version + 1,
    });
  });

  it('schedule create (TransactWriteItems): created, not "exists"', async () => {
    const w = await cloud.world();
    const record = scheduleRecord('weekly', { createdAt: w.clock.now(), updatedAt: w.clock.now() });
    const lost = loseFirst('TransactWriteItems');
    const created = await w.container({ dynamo: proxiedDoc() }).schedules.put(record, 0);
    expectOneLost();
    expectIdempotencyToken(lost);
    expect(created.version).toBe(1);
  });
});
