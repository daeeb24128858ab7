import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import {
  FencedWriteError,
  LeaseConflictError,
  SessionHistoryError,
  StorageError,
} from '../../src/core/errors.js';
import type { TenantId } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { createCloudStorage, DEFAULT_COMPACTION } from '../../src/sessions/adapters/cloud/index.js';
import {
  hookedDynamo as hookedDynamoClient,
  sessionKey as key,
  transcriptEntries as turn,
  uuids,
  type RequestHook,
  useCloudWorlds,
} from '../support/cloud-world.js';

const cloud = useCloudWorlds();
const { onCleanup } = cloud;

const { world } = cloud;

describe('cloud storage: idempotent retries', () => {
  it('a retry after a lost DynamoDB response does not duplicate (uuid overlap)', async () => {
    const w = await world();
    let loseNext = false;
    // A document client whose next head commit succeeds on the server but "loses" the response.
    const flaky = DynamoDBDocumentClient.from(cloud.peers().dynamo);
    const send = flaky.send.bind(flaky) as (command: unknown) => Promise<unknown>;
    (flaky as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command) => {
      const result = await send(command);
      const name = (command as { constructor: { name: string } }).constructor.name;
      if (loseNext && ['PutCommand', 'UpdateCommand', 'TransactWriteCommand'].includes(name)) {
        loseNext = false;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }
      return result;
    };
    const store = w.container({ dynamo: flaky }).transcripts;
    const k = key();
    const [a, b, c] = [turn('a', 3), turn('b', 2), turn('c', 2)];
    await store.append(k, a);
    loseNext = true;
    await expect(store.append(k, b)).rejects.toBeInstanceOf(StorageError);
    // The SDK retries the batch, possibly with more entries behind it.
    await store.append(k, [...b, ...c]);
    await store.append(k, [...c]);
    const want = uuids([...a, ...b, ...c]);
    expect(uuids(await w.container().transcripts.load(k))).toEqual(want);
    expect(uuids(await w.raw.readEntries(k))).toEqual(want);
    expect((await store.stat(k))!.entries).toBe(7);
  });
});

describe('cloud storage: single writer per conversation', () => {
  it('two workers race for one conversation: exactly one wins, the loser’s late write is rejected', async () => {
    const w = await world();
    const conv = conversationKey({ tenant: 'acme', chat: '-100123', thread: 7 });
    const one = w.container({ owner: 'worker-1' });
    const two = w.container({ owner: 'worker-2' });
    const results = await Promise.allSettled([
      one.leases.acquire(conv, { ttlMs: 30_000 }),
      two.leases.acquire(conv, { ttlMs: 30_000 }),
    ]);
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const loserResult = results.find((r) => r.status === 'rejected');
    expect((loserResult as PromiseRejectedResult).reason).toBeInstanceOf(LeaseConflictError);
    const [first, second] = results[0]!.status === 'fulfilled' ? [one, two] : [two, one];
    const lease1 = (winners[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof one.leases.acquire>>>)
      .value;

    const k = key();
    const t1 = turn('t1', 5);
    await first.transcriptsFor(lease1).append(k, t1);

    // The first worker stalls past its lease; the second takes over and continues the conversation.
    w.clock.advance(30_001);
    const lease2 = await second.leases.acquire(conv, { ttlMs: 30_000 });
    expect(lease2.token).toBeGreaterThan(lease1.token);
    expect(uuids(await second.transcriptsFor(lease2).load(k))).toEqual(uuids(t1));
    const t2 = turn('t2', 3);
    const late = turn('late', 3);
    const [lateResult, winResult] = await Promise.allSettled([
      first.transcriptsFor(lease1).append(k, late),
      second.transcriptsFor(lease2).append(k, t2),
    ]);
    expect(winResult.status).toBe('fulfilled');
    expect(lateResult.status).toBe('rejected');
    expect((lateResult as PromiseRejectedResult).reason).toBeInstanceOf(FencedWriteError);
    await expect(first.leases.heartbeat(lease1)).rejects.toBeInstanceOf(FencedWriteError);

    const want = uuids([...t1, ...t2]);
    expect(uuids(await w.raw.readEntries(k))).toEqual(want);
    first.clearCache();
    expect(uuids(await first.transcripts.load(k))).toEqual(want);
    // The loser's transaction wrote nothing: no part item or object holds its entries, and every
    // part item is one a head references.
    const parts = await w.raw.listTableParts(k);
    expect(parts.some((p) => p.text.includes('late-0'))).toBe(false);
    const tokens = ((await w.raw.readHead(k))?.parts as string[]).map((t) => `#${t}`);
    expect(parts.every((p) => tokens.some((t) => p.sk.endsWith(t)))).toBe(true);
    for (const o of await w.raw.listObjects(`tenants/acme/sessions/${k.sessionId}/`)) {
      expect((await w.raw.getObject(o)) ?? '').not.toContain('late-0');
    }
  });

  it('a heartbeat keeps a long turn’s lease; after expiry a takeover fences the old holder', async () => {
    const w = await world();
    const conv = conversationKey({ tenant: 'acme', chat: 'long-turn' });
    const a = w.container();
    const b = w.container();
    let lease = await a.leases.acquire(conv, { ttlMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      w.clock.advance(8_000);
      lease = await a.leases.heartbeat(lease, 10_000);
      await expect(b.leases.acquire(conv, { ttlMs: 10_000 })).rejects.toBeInstanceOf(LeaseConflictError);
    }
    const k = key();
    await a.transcriptsFor(lease).append(k, turn('x', 2));
    w.clock.advance(10_001);
    const taken = await b.leases.acquire(conv, { ttlMs: 10_000 });
    await expect(a.transcriptsFor(lease).append(k, turn('y', 2))).rejects.toBeInstanceOf(FencedWriteError);
    await b.transcriptsFor(taken).append(k, turn('z', 1));
    expect(await w.raw.readEntries(k)).toHaveLength(3);
  });
});

describe('cloud storage: compaction', () => {
  it('compacts past the parts threshold while concurrent readers always see a consistent prefix', async () => {
    const w = await world();
    const writer = w.container({ compaction: { maxParts: 4 } });
    const k = key();
    const batches = Array.from({ length: 30 }, (_, i) => turn(`b${i}`, 3, 100));
    const all = uuids(batches.flat());
    let done = false;
    const seen: number[] = [];
    const reader = async (): Promise<void> => {
      const r = w.container({ cacheBytes: 0 });
      while (!done) {
        const got = uuids(await r.transcripts.load(k));
        expect(got).toEqual(all.slice(0, got.length));
        expect(got.length % 3).toBe(0);
        seen.push(got.length);
      }
    };
    const readers = [reader(), reader()];
    for (const b of batches) await writer.transcripts.append(k, b);
    done = true;
    await Promise.all(readers);
    expect(seen.length).toBeGreaterThan(5);

    const cold = w.container({ cacheBytes: 0 });
    expect(uuids(await cold.transcripts.load(k))).toEqual(all);
    // Bounded reads: the (small) segments from S3, at most maxParts table parts in one BatchGetItem.
    expect(cold.metrics.s3Gets).toBeLessThanOrEqual(2);
    expect(cold.metrics.dynamoReads).toBeLessThanOrEqual(2);
    expect(uuids(await w.raw.readEntries(k))).toEqual(all);
    const objects = await w.raw.listObjects(`tenants/acme/sessions/${k.sessionId}/main/`);
    expect(objects.some((o) => o.includes('/seg-'))).toBe(true);
    // Merged table parts were deleted: the items left are exactly the head's parts.
    const head = await w.raw.readHead(k);
    const parts = await w.raw.listTableParts(k);
    expect(parts.map((p) => p.sk.split('#').pop()).sort()).toEqual([...(head?.parts as string[])].sort());
    expect(parts.length).toBeLessThanOrEqual(4);
  });
  /** A DynamoDB client of its own whose requests pass `hook(commandName, input, phase)` before and after they are sent. */
  const hookedDynamo = (hook: RequestHook): DynamoDBClient =>
    hookedDynamoClient(cloud.peers(), hook, onCleanup);

  it('a compaction whose BatchGetItem fails while it reads a segment only logs (no unhandled rejection)', async () => {
    const w = await world();
    let fail = false;
    const dynamo = hookedDynamo(async (command, _input, phase) => {
      if (fail && phase === 'before' && command === 'BatchGetItemCommand') {
        throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
      }
    });
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) };
    const writer = w.container({ dynamo, logger, compaction: { maxParts: 3 } });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const k = key();
      // 4 parts → a first compaction into one small segment; 4 more → the second compaction merges
      // that segment (an S3 GET) with 4 table parts (a BatchGetItem, failing).
      for (let i = 0; i < 7; i++) await writer.transcripts.append(k, turn(`c${i}`, 1, 2000));
      fail = true;
      await writer.transcripts.append(k, turn('c7', 1, 2000));
      await new Promise((resolve) => setTimeout(resolve, 200));
      fail = false;
      expect(unhandled).toEqual([]);
      expect(warnings.some((m) => m.includes('compaction failed'))).toBe(true);
      expect(await w.container().transcripts.load(k)).toHaveLength(8);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a writer holding a pre-compaction head cannot merge the same parts twice', async () => {
    const w = await world();
    const k = key();
    const stale = w.container({ compaction: { maxParts: 3 } });
    const hooks: Partial<Record<'before' | 'after', () => Promise<void>>> = {};
    // Around the compaction commit of `compacting`: `stale` loads the head about to be compacted;
    // right after the commit (before the merged table parts are deleted) it appends from that head
    // — `seq` is unchanged, so the append lands — and compacts the same parts again.
    const dynamo = hookedDynamo(async (command, input, phase) => {
      if (command !== 'UpdateItemCommand' || !String(input.UpdateExpression ?? '').includes('#segments'))
        return;
      const run = hooks[phase];
      delete hooks[phase];
      await run?.();
    });
    const compacting = w.container({ dynamo, compaction: { maxParts: 3 } });
    for (let i = 0; i < 3; i++) await compacting.transcripts.append(k, turn(`s${i}`, 1, 2000));
    hooks.before = async () => {
      await stale.transcripts.load(k);
    };
    hooks.after = async () => {
      await stale.transcripts.append(k, turn('s4', 1, 2000));
    };
    await compacting.transcripts.append(k, turn('s3', 1, 2000)); // 4 parts > 3: compacts
    expect(hooks).toEqual({});
    const loaded = await w.container({ cacheBytes: 0 }).transcripts.load(k);
    expect(loaded).toHaveLength(5);
    expect(uuids(loaded)).toEqual(uuids(await w.raw.readEntries(k)));
  });

  it('a load that lost the race with a compaction re-reads the head instead of reporting a loss', async () => {
    const w = await world();
    const k = key();
    const writer = w.container({ compaction: { maxParts: 3 } });
    const batches = Array.from({ length: 3 }, (_, i) => turn(`p${i}`, 2, 500));
    for (const b of batches) await writer.transcripts.append(k, b);
    // The reader's first BatchGetItem (for the 3 parts of the head it just read) waits until a
    // 4th append has compacted those parts into a segment and deleted them.
    let raced = false;
    const dynamo = hookedDynamo(async (command, _input, phase) => {
      if (command !== 'BatchGetItemCommand' || phase !== 'before' || raced) return;
      raced = true;
      await writer.transcripts.append(k, turn('p3', 2, 500));
      expect(await w.raw.listTableParts(k)).toEqual([]);
    });
    const loaded = await w.container({ dynamo, cacheBytes: 0 }).transcripts.load(k);
    expect(raced).toBe(true);
    expect(loaded).toHaveLength(8);
    expect(uuids(loaded)).toEqual(uuids(await w.raw.readEntries(k)));
    expect(uuids(loaded).slice(0, 6)).toEqual(uuids(batches.flat()));
  });
});

describe('cloud storage: head writes', () => {
  it('an append is one DynamoDB request: the part is created in the head’s transaction, nothing goes to S3', async () => {
    const w = await world();
    const c = w.container();
    const k = key();
    const batch = turn('t', 7, 2500);
    await c.transcripts.append(k, batch); // creates the head: no read of an existing one later
    const before = { ...c.metrics };
    await c.transcripts.append(k, turn('u', 7, 2500));
    expect(c.metrics.dynamoWrites - before.dynamoWrites).toBe(1);
    expect(c.metrics.dynamoReads - before.dynamoReads).toBe(0);
    expect(c.metrics.s3Puts).toBe(0);
    // Billed as a transaction: twice the write units of the part and the head.
    expect(c.metrics.dynamoWriteUnits - before.dynamoWriteUnits).toBeGreaterThanOrEqual(2 * (18 + 1));
    expect(await w.raw.listObjects(`tenants/acme/sessions/${k.sessionId}/`)).toEqual([]);
    expect(await w.raw.listTableParts(k)).toHaveLength(2);
  });

  it('keeps a tiny batch inline in the head; the next part carries it along', async () => {
    const w = await world();
    const c = w.container();
    const k = key();
    const big = turn('big', 3, 2000);
    const cost: SessionStoreEntry = { type: 'cost-state', sessionId: k.sessionId, totalCostUSD: 0.5 };
    await c.transcripts.append(k, big);
    await c.transcripts.append(k, [cost]);
    const head = await w.raw.readHead(k);
    expect(head?.tail).toHaveLength(1);
    expect(await w.raw.listTableParts(k)).toHaveLength(1); // an update of the head, no new part
    expect(uuids(await w.raw.readEntries(k))).toEqual(uuids([...big, cost]));
    const next = turn('next', 2, 2000);
    await c.transcripts.append(k, next);
    expect((await w.raw.readHead(k))?.tail).toEqual([]);
    const parts = (await w.raw.listTableParts(k)).sort((a, b) => (a.sk < b.sk ? -1 : 1));
    expect(parts).toHaveLength(2);
    expect(parts[1]!.text.split('\n')[0]).toContain('cost-state');
    const all = [...big, cost, ...next];
    expect(await w.container().transcripts.load(k)).toEqual(JSON.parse(JSON.stringify(all)));
  });

  it('updates the head in place: it stays small and each write sends only what changed', async () => {
    const w = await world();
    // Parts in S3, so every DynamoDB write is a head write.
    const c = w.container({ compaction: { tablePartBytes: 0 } });
    const k = key();
    for (let i = 0; i < 60; i++) {
      await c.transcripts.append(k, turn(`t${i}`, 3, 1000));
      await c.transcripts.append(k, [{ type: 'cost-state', sessionId: k.sessionId, totalCostUSD: i }]);
    }
    const head = await w.raw.readHead(k);
    expect(head?.seq).toBe(120);
    // 60 part tokens (~11 bytes each), a ~300-byte session summary, counters: < 2 KB.
    expect(JSON.stringify(head).length).toBeLessThan(2048);
    // Whole-item size is what DynamoDB bills; the requests carried far less.
    expect(c.metrics.dynamoRequestBytes).toBeLessThan(c.metrics.dynamoBytesWritten / 2);
    expect(c.metrics.dynamoReads).toBe(1); // the first append's read; later ones start from the known head
  });

  it('a container holding no copy of the stream still drops a retried overlap (window read back from S3)', async () => {
    const w = await world();
    const k = key();
    const [a, b] = [turn('a', 4, 2000), turn('b', 3, 2000)];
    await w.container().transcripts.append(k, a);
    await w.container().transcripts.append(k, b);
    const retrying = w.container();
    await retrying.transcripts.append(k, [...b.slice(1), ...turn('c', 1, 2000)]);
    expect(await w.raw.readEntries(k)).toHaveLength(8);
  });
});

describe('cloud storage: resume', () => {
  it('warm resume validates against the head and reads 0 transcript bytes; cold resume reads them', async () => {
    const w = await world();
    const container = w.container();
    const k = key();
    await container.transcripts.append(k, turn('first', 17, 4000));
    await container.transcripts.append(k, turn('second', 7, 1000));
    const read = () => container.metrics.s3BytesRead + container.metrics.dynamoBytesRead;
    const before = read();
    const readsBefore = container.metrics.dynamoReads;
    const warm = await container.transcripts.load(k);
    expect(warm).toHaveLength(24);
    expect(read() - before).toBe(0);
    expect(container.metrics.dynamoReads - readsBefore).toBe(1); // the head

    const other = w.container();
    await other.transcripts.append(k, turn('elsewhere', 2));
    // The first container's cache is stale now: the head's etag moved, so it reads again.
    expect(await container.transcripts.load(k)).toHaveLength(26);
    expect(read() - before).toBeGreaterThan(0);
  });

  it('a resume under a lease reads every head of the session with one request, subagent streams included', async () => {
    const w = await world();
    const conv = conversationKey({ tenant: 'acme', chat: 'resume' });
    const k = key();
    const subs = ['subagents/agent-a1', 'subagents/agent-b2'];
    const first = w.container();
    const lease1 = await first.leases.acquire(conv);
    const turn1 = first.transcriptsFor(lease1);
    await turn1.append(k, turn('main', 3, 2000));
    for (const subpath of subs) await turn1.append({ ...k, subpath }, turn(subpath, 2, 2000));
    await first.leases.release(lease1);

    // The next turn, in the same (warm) container: load(main), listSubkeys, load(sub) × 2.
    const lease2 = await first.leases.acquire(conv);
    const turn2 = first.transcriptsFor(lease2);
    const before = { ...first.metrics };
    expect(await turn2.load(k)).toHaveLength(3);
    expect((await turn2.listSubkeys(k)).sort()).toEqual(subs);
    for (const subpath of subs) expect(await turn2.load({ ...k, subpath })).toHaveLength(2);
    expect(first.metrics.dynamoReads - before.dynamoReads).toBe(1);
    expect(first.metrics.s3Gets - before.s3Gets).toBe(0);
    // Its own appends keep the snapshot in step: a new subagent stream needs no read either.
    await turn2.append({ ...k, subpath: 'subagents/agent-c3' }, turn('c3', 2, 2000));
    expect(first.metrics.dynamoReads - before.dynamoReads).toBe(1);
    expect((await turn2.listSubkeys(k)).sort()).toEqual([...subs, 'subagents/agent-c3']);
    await first.leases.release(lease2);

    // Another container's next turn sees all of it (a snapshot lives only as long as its store).
    const other = w.container();
    const lease3 = await other.leases.acquire(conv);
    const turn3 = other.transcriptsFor(lease3);
    await turn3.append(k, turn('more', 2, 2000));
    await other.leases.release(lease3);
    const lease4 = await first.leases.acquire(conv);
    expect(await first.transcriptsFor(lease4).load(k)).toHaveLength(5);
    expect((await first.transcriptsFor(lease4).listSubkeys(k)).length).toBe(3);
  });

  it('a write the snapshot did not see (a writer without the lease) makes the next append re-read, not lose it', async () => {
    const w = await world();
    const conv = conversationKey({ tenant: 'acme', chat: 'rogue' });
    const k = key();
    const c = w.container();
    await c.transcripts.append(k, turn('a', 2, 2000));
    const lease = await c.leases.acquire(conv);
    const fenced = c.transcriptsFor(lease);
    expect(await fenced.load(k)).toHaveLength(2);
    await w.container().transcripts.append(k, turn('rogue', 2, 2000)); // breaks the lease contract
    await fenced.append(k, turn('b', 2, 2000));
    expect(await w.raw.readEntries(k)).toHaveLength(6);
  });

  for (const where of ['table', 's3'] as const) {
    it(`a head that references a missing ${where} part fails with a SessionHistoryError naming session and part`, async () => {
      const w = await world();
      const k = key();
      const writer = w.container({ compaction: { tablePartBytes: where === 's3' ? 0 : 350_000 } });
      await writer.transcripts.append(k, turn('a', 3));
      await writer.transcripts.append(k, turn('b', 3));
      let gone: string;
      if (where === 's3') {
        [, gone] = (await w.raw.listObjects(`tenants/acme/sessions/${k.sessionId}/main/`)).sort() as [
          string,
          string,
        ];
        await cloud.peers().s3.send(new DeleteObjectCommand({ Bucket: w.bucket, Key: gone }));
      } else {
        [, gone] = (await w.raw.listTableParts(k)).map((p) => p.sk).sort() as [string, string];
        await cloud
          .peers()
          .doc.send(
            new DeleteCommand({ TableName: w.table, Key: { pk: `acme#s#${k.sessionId}`, sk: gone } }),
          );
      }
      const reader = w.container();
      const err = await reader.transcripts.load(k).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SessionHistoryError);
      expect((err as Error).message).toContain(k.sessionId);
      expect((err as Error).message).toContain(gone);
      expect((err as Error).message).toMatch(/missing/);
    });
  }

  it('the largest table part fits a DynamoDB item even under the longest subpath, with the tail carried along', async () => {
    const w = await world();
    const c = w.container();
    // A subpath of 512 characters (the maximum keys.ts accepts) makes the longest sort key.
    const subpath = Array.from({ length: 8 }, (_, i) => `${i}${'s'.repeat(i === 7 ? 63 : 62)}`).join('/');
    const k = { ...key(), subpath };
    expect(subpath).toHaveLength(512);
    const cost: SessionStoreEntry = { type: 'cost-state', sessionId: k.sessionId, totalCostUSD: 1 };
    await c.transcripts.append(k, [cost]); // inline in the head: the next part carries it
    const tail = Buffer.byteLength(`${JSON.stringify(cost)}\n`);
    const [probe] = turn('edge', 1, 0);
    const overhead = Buffer.byteLength(`${JSON.stringify(probe)}\n`);
    const [edge] = turn('edge', 1, DEFAULT_COMPACTION.tablePartBytes - tail - overhead);
    await c.transcripts.append(k, [edge!]);
    const parts = await w.raw.listTableParts(k);
    expect(parts).toHaveLength(1);
    expect(Buffer.byteLength(parts[0]!.text)).toBe(DEFAULT_COMPACTION.tablePartBytes);
    expect(await w.raw.listObjects(`tenants/acme/sessions/${k.sessionId}/`)).toEqual([]);
    expect(uuids(await w.container().transcripts.load(k))).toEqual(uuids([cost, edge!]));
  });

  it('single entries far above 400 KB live in S3', async () => {
    const w = await world();
    const k = key();
    const big = turn('big', 1, 3 * 1024 * 1024);
    await w.container().transcripts.append(k, big);
    expect(uuids(await w.container().transcripts.load(k))).toEqual(uuids(big));
    expect(await w.raw.listTableParts(k)).toEqual([]);
    expect(await w.raw.listObjects(`tenants/acme/sessions/${k.sessionId}/main/`)).toHaveLength(1);
  });
});

describe('cloud storage: tenants', () => {
  it("tenant A cannot list or load tenant B's sessions (raw S3 and DynamoDB agree)", async () => {
    const w = await world();
    const s = w.container();
    const a = key(randomUUID(), 'acme');
    const b = key(randomUUID(), 'globex');
    // A table part and an S3 part for each (tiny batches would stay inline in the head).
    for (const k of [a, b]) {
      await s.transcripts.append(k, turn('small', 2, 2000));
      await s.transcripts.append(k, turn('large', 1, 400_000));
    }
    expect((await s.transcripts.listSessions('acme')).map((x) => x.sessionId)).toEqual([a.sessionId]);
    expect(await s.transcripts.load({ projectKey: 'acme', sessionId: b.sessionId })).toBeNull();
    const rawA = await w.raw.listTenantKeys('acme' as TenantId);
    expect(rawA.filter((x) => x.startsWith('s3:')).length).toBeGreaterThan(0);
    // Heads and parts in the session's partition, its marker on the tenant's (docs/scale.md §8.1).
    const own = `dynamodb:acme#s#${a.sessionId}/`;
    expect(rawA.filter((x) => x.startsWith(`${own}part#acme#${a.sessionId}#`)).length).toBe(1);
    expect(rawA).toContain(`dynamodb:acme/head#acme#${a.sessionId}#`);
    expect(
      rawA.every(
        (x) =>
          (x.startsWith('s3:tenants/acme/sessions/') ||
            x.startsWith('dynamodb:acme/') ||
            x.startsWith(own)) &&
          !x.includes(b.sessionId),
      ),
    ).toBe(true);
  });
});

describe('cloud storage: AWS errors', () => {
  it('translates a missing bucket into a StorageError naming the operation', async () => {
    const w = await world();
    const s = createCloudStorage({
      s3: cloud.peers().s3,
      dynamo: cloud.peers().doc,
      bucket: 'no-such-bucket',
      table: w.table,
      clock: w.clock,
    });
    // Too large for a table part, so it goes to S3.
    const err = await s.transcripts.append(key(), turn('x', 1, 400_000)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as Error).message).toMatch(/^\[sessions:s3\] PutObject/);
  });

  it('translates a missing table into a StorageError naming the operation', async () => {
    const w = await world();
    const s = w.container({ table: 'no-such-table' });
    const err = await s.transcripts.append(key(), turn('x', 2, 2000)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    // The head is read at the session's key and the legacy one at once (docs/scale.md §8.1).
    expect((err as Error).message).toMatch(
      /^\[sessions:cloud\] BatchGetItem \(2 heads\).*ResourceNotFoundException/,
    );
  });
});

describe('cloud storage: large transcripts', () => {
  for (const mb of [10, 50]) {
    it(`appends and cold-loads a ${mb} MB transcript`, { timeout: 120_000 }, async () => {
      const w = await world();
      const k = key();
      const writer = w.container({ cacheBytes: 0 });
      // ~1 MB batches of ~10 KB entries.
      const batchCount = mb;
      const expected: string[] = [];
      for (let i = 0; i < batchCount; i++) {
        const batch = turn(`m${i}`, 100, 10_000);
        expected.push(...uuids(batch));
        await writer.transcripts.append(k, batch);
      }
      const stat = await writer.transcripts.stat(k);
      expect(stat!.bytes).toBeGreaterThan(mb * 1_000_000);
      const reader = w.container({ cacheBytes: 0 });
      const started = performance.now();
      const loaded = await reader.transcripts.load(k);
      const ms = performance.now() - started;
      expect(loaded).toHaveLength(expected.length);
      expect(loaded![0]!.uuid).toBe(expected[0]);
      expect(loaded![loaded!.length - 1]!.uuid).toBe(expected[expected.length - 1]);
      // Segments of ≤ 4 MiB plus at most 64 parts (≤ 4 MiB) after them.
      expect(reader.metrics.s3Gets + reader.metrics.dynamoReads).toBeLessThanOrEqual(
        Math.ceil(stat!.bytes / (4 * 1024 * 1024)) + 3,
      );
      console.log(`[cloud] ${mb} MB: cold load ${ms.toFixed(0)} ms, ${reader.metrics.s3Gets} GETs`);
    });
  }
});
