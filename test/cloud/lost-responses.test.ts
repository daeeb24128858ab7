import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient, toDocumentClient } from '../../src/aws/dynamodb.js';
import { LeaseConflictError } from '../../src/core/errors.js';
import type { TenantId } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { leaseSk } from '../../src/sessions/adapters/cloud/schema.js';
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

/** Lose the response of the first attempt of the first `operation` request, forward everything else. */
function loseFirst(operation: string): void {
  let lost = false;
  proxy.resetStats();
  proxy.setDecide((request) => {
    if (lost || request.operation !== operation) return undefined;
    lost = true;
    return { kind: 'lost-response' };
  });
  cloud.onCleanup(async () => proxy.setDecide(() => undefined));
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
      .doc.send(new GetCommand({ TableName: w.table, Key: { pk: 'acme', sk: leaseSk(key) } }));
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
