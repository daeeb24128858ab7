import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { conversationKey } from '../../../core/keys.js';
import { hookedDynamo, useCloudWorlds } from '../../../../test/support/cloud-world.js';
import { countWriteUnits } from '../../../../test/cloud/write-units.js';
import { storeTurn } from '../../../../test/cloud/store-turn.js';

/**
 * Where a tenant's per-turn writes land (docs/scale.md §8.1), measured on DynamoDB Local by
 * attributing every write request's items to their partition keys (test/cloud/write-units.ts).
 */
const cloud = useCloudWorlds();
const TENANT = 'acme';
const CONVERSATIONS = 10;
const STEADY_TURNS = 4;

describe('session items out of the tenant partition', () => {
  it('a turn writes ≤ 2 units on the tenant key (the catalog entry); heads, parts, leases, ledger and map live elsewhere', async () => {
    const w = await cloud.world();
    const peers = cloud.peers();
    const dynamo = hookedDynamo(peers, async () => {}, cloud.onCleanup);
    const counter = countWriteUnits(dynamo, peers.doc, w.table);
    const storage = w.container({ dynamo, cacheBytes: 0 });
    const keys = Array.from({ length: CONVERSATIONS }, (_, i) =>
      conversationKey({ tenant: TENANT, chat: 1000 + i }),
    );

    // First turn of each conversation: creates its session, conversation and markers.
    for (const [i, key] of keys.entries()) await storeTurn(storage, key, i, w.clock.now());
    const creation = new Map(counter.byPk);
    counter.reset();
    // Then steady turns, interleaved over the conversations.
    let n = CONVERSATIONS;
    for (let round = 0; round < STEADY_TURNS; round++) {
      for (const key of keys) {
        w.clock.advance(60_000);
        await storeTurn(storage, key, n++, w.clock.now());
      }
    }
    const turns = CONVERSATIONS * STEADY_TURNS;
    const steady = counter.byPk;
    const tenantUnits = steady.get(TENANT)?.units ?? 0;
    const total = counter.total();
    const [busiestPk, busiest] = [...steady].sort((a, b) => b[1].units - a[1].units)[0]!;
    const creationTenant = creation.get(TENANT)?.units ?? 0;
    console.log(
      `[partitions] steady: ${turns} turns, ${total} WCU (${(total / turns).toFixed(1)}/turn) over ${steady.size} keys; ` +
        `tenant key ${tenantUnits} WCU (${(tenantUnits / turns).toFixed(2)}/turn, ${steady.get(TENANT)?.writes ?? 0} writes); ` +
        `busiest key ${busiestPk} ${busiest.units} WCU (${((100 * busiest.units) / total).toFixed(1)} % of the tenant's writes, ` +
        `${(busiest.units / STEADY_TURNS).toFixed(1)}/turn of its conversation); ` +
        `first turn of a conversation: ${(creationTenant / CONVERSATIONS).toFixed(1)} WCU on the tenant key`,
    );

    expect(tenantUnits / turns).toBeLessThanOrEqual(2);
    expect(tenantUnits).toBeGreaterThan(0); // the catalog entry stays on the tenant key
    expect(busiestPk).not.toBe(TENANT);
    // A conversation's turns spread over its own two partitions: the busiest one holds ~1/N.
    expect(busiest.units / total).toBeLessThan(2 / CONVERSATIONS);
    // Every key of the tenant starts with the tenant id.
    for (const pk of [...creation.keys(), ...steady.keys()]) expect(pk.split('#')[0]).toBe(TENANT);

    // Raw: no head, part, lease, ledger record or conversation item under pk = tenant.
    const items = (await peers.doc.send(new ScanCommand({ TableName: w.table }))).Items ?? [];
    const onTenant = items.filter((i) => i.pk === TENANT).map((i) => String(i.kind));
    expect(onTenant.filter((k) => ['head', 'part', 'lease', 'turn', 'conversation'].includes(k))).toEqual([]);
    expect(onTenant.filter((k) => k === 'head-index')).toHaveLength(CONVERSATIONS);
    expect(onTenant.filter((k) => k === 'conversation-index')).toHaveLength(CONVERSATIONS);
    const kinds = (prefix: string) =>
      new Set(items.filter((i) => String(i.pk).startsWith(prefix)).map((i) => String(i.kind)));
    expect([...kinds(`${TENANT}#s#`)].sort()).toEqual(['head', 'part']);
    expect([...kinds(`${TENANT}#c#`)].sort()).toEqual(['conversation', 'lease', 'turn']);
  }, 120_000);
});
