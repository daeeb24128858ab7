import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../core/clock.js';
import { SessionHistoryError } from '../../../core/errors.js';
import { conversationKey } from '../../../core/keys.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import type { Lease, TranscriptStore } from '../../types.js';
import {
  hookedDynamo,
  hookedS3,
  sessionKey,
  transcriptEntries,
  uuids,
  type CloudWorld,
  useCloudWorlds,
} from '../../../../test/support/cloud-world.js';
import { DEFAULT_COMPACTION, type CompactionPolicy } from './compaction.js';
import { HEAD_RETENTION_MS } from './transcripts.js';

/**
 * The lifecycle refresh (`refreshAfterMs`): S3 expires objects by age since creation (the rule
 * on `tenants/`: 50 days = `HEAD_RETENTION_MS`), so a live conversation must never reference an
 * object that old. After an append, a stream referencing an object (segment or part) older than
 * `refreshAfterMs` has every segment rewritten as new objects. Real peers, an injected clock;
 * every outcome is checked through the raw backend as well as through `load()`.
 */

const cloud = useCloudWorlds();
const { onCleanup } = cloud;

/** Small segments (~3 entries of ~1.2 KB each) so a short history spans several S3 objects. */
const SMALL: Partial<CompactionPolicy> = { maxParts: 3, segmentBytes: 4096 };
const REFRESH_MS = DEFAULT_COMPACTION.refreshAfterMs;

interface RawRef {
  name: string;
  entries: number;
  bytes: number;
  at: number;
}

interface RawHead {
  segments: RawRef[];
  parts: string[];
  partsAt: number;
  entries: number;
  ttl: number;
}

async function rawHead(w: CloudWorld, k: SessionKey): Promise<RawHead> {
  const head = await w.raw.readHead(k);
  if (!head) throw new Error('no head');
  return head as unknown as RawHead;
}

const streamPrefix = (k: SessionKey): string => `tenants/${k.projectKey}/sessions/${k.sessionId}/main/`;

/** Names (relative to the stream's prefix) of every S3 object of the stream, with S3's LastModified. */
async function s3Objects(w: CloudWorld, k: SessionKey): Promise<Map<string, number>> {
  const res = await cloud
    .peers()
    .s3.send(new ListObjectsV2Command({ Bucket: w.bucket, Prefix: streamPrefix(k) }));
  return new Map(
    (res.Contents ?? []).map((o) => [
      String(o.Key).slice(streamPrefix(k).length),
      o.LastModified?.getTime() ?? 0,
    ]),
  );
}

/** Appends `n` one-entry batches (~1.2 KB each: table parts, never inline); returns the entries. */
async function grow(
  store: TranscriptStore,
  k: SessionKey,
  label: string,
  n: number,
): Promise<SessionStoreEntry[]> {
  const out: SessionStoreEntry[] = [];
  for (let i = 0; i < n; i++) {
    const batch = transcriptEntries(`${label}${i}`, 1, 1000);
    await store.append(k, batch);
    out.push(...batch);
  }
  return out;
}

/** `load()` through a container holding no copy, checked against the raw backend and for duplicates. */
async function coldLoad(w: CloudWorld, k: SessionKey): Promise<SessionStoreEntry[]> {
  const loaded = (await w.container({ cacheBytes: 0 }).transcripts.load(k)) ?? [];
  expect(await w.raw.readEntries(k)).toEqual(loaded);
  expect(new Set(uuids(loaded)).size).toBe(loaded.length);
  return loaded;
}

function warningsLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, logger: { ...silentLogger, warn: (message: string) => void warnings.push(message) } };
}

describe('compaction: lifecycle refresh (refreshAfterMs)', () => {
  it('fits the S3 lifecycle rule: a referenced object is at most refreshAfterMs old at a turn, the conversation lives refreshAfterMs after it', () => {
    expect(REFRESH_MS).toBe(25 * DAY_MS);
    expect(2 * REFRESH_MS).toBeLessThanOrEqual(HEAD_RETENTION_MS);
  });

  it('rewrites every segment once one is older than refreshAfterMs; younger ones are left alone until then; the history loads identically', async () => {
    const w = await cloud.world();
    const k = sessionKey();
    const store = w.container({ compaction: SMALL });
    const day0 = w.clock.now();
    const appended = await grow(store.transcripts, k, 'd0-', 8);
    w.clock.advance(10 * DAY_MS);
    appended.push(...(await grow(store.transcripts, k, 'd10-', 4)));
    const aged = await rawHead(w, k);
    // Full segments written on day 0 are kept by the day-10 compaction (it rewrites only the last one).
    expect(new Set(aged.segments.map((s) => s.at))).toEqual(new Set([day0, day0 + 10 * DAY_MS]));
    expect(aged.segments.length).toBeGreaterThanOrEqual(3);
    expect(aged.parts).toEqual([]);

    // Exactly refreshAfterMs after day 0: not older than it yet — the append adds a part, no S3 write.
    w.clock.set(day0 + REFRESH_MS);
    const putsBefore = store.metrics.s3Puts;
    appended.push(...(await grow(store.transcripts, k, 'edge-', 1)));
    expect(store.metrics.s3Puts).toBe(putsBefore);
    const atEdge = await rawHead(w, k);
    expect(atEdge.segments).toEqual(aged.segments);
    expect(atEdge.parts).toHaveLength(1);
    const before = await coldLoad(w, k);
    expect(before).toEqual(appended);
    const objectsBefore = await s3Objects(w, k);

    // One millisecond later the day-0 segments are older than refreshAfterMs: the next append refreshes.
    w.clock.advance(1);
    const wallBefore = Date.now();
    const last = await grow(store.transcripts, k, 'refresh-', 1);
    appended.push(...last);
    const refreshed = await rawHead(w, k);
    const now = w.clock.now();
    // Every segment (the day-10 ones too) is a new object stamped now; parts were merged into them.
    expect(refreshed.segments.every((s) => s.at === now)).toBe(true);
    expect(refreshed.segments.map((s) => s.name).filter((n) => objectsBefore.has(n))).toEqual([]);
    expect(refreshed.parts).toEqual([]);
    expect(refreshed.partsAt).toBe(0);
    expect(refreshed.segments.reduce((n, s) => n + s.entries, 0)).toBe(refreshed.entries);
    expect(store.metrics.s3Puts - putsBefore).toBe(refreshed.segments.length);
    expect(await w.raw.listTableParts(k)).toEqual([]);
    // In S3 they are new objects: the lifecycle rule counts their age from now.
    const objectsAfter = await s3Objects(w, k);
    for (const s of refreshed.segments)
      expect(objectsAfter.get(s.name)).toBeGreaterThanOrEqual(wallBefore - 1000);
    // The superseded objects stay (grace period) so a load that read the old head still completes.
    for (const name of objectsBefore.keys()) expect(objectsAfter.has(name)).toBe(true);

    const after = await coldLoad(w, k);
    expect(after).toEqual([...before, ...last]);
    expect(after).toEqual(appended);
    expect(after).toHaveLength(14);

    // A later compaction past the grace period deletes exactly the superseded objects.
    const collector = w.container({ compaction: { ...SMALL, garbageGraceMs: 0 } });
    appended.push(...(await grow(collector.transcripts, k, 'gc-', 4)));
    const final = await rawHead(w, k);
    expect([...(await s3Objects(w, k)).keys()].sort()).toEqual(final.segments.map((s) => s.name).sort());
    expect(await coldLoad(w, k)).toEqual(appended);
  });

  it('merges table parts older than refreshAfterMs into S3 before their DynamoDB TTL can expire them', async () => {
    const w = await cloud.world();
    const k = sessionKey();
    const store = w.container();
    const day0 = w.clock.now();
    const appended = await grow(store.transcripts, k, 'p', 2);
    const tiny = transcriptEntries('cost-state', 1, 10); // ≤ 1 KiB: kept inline in the head
    await store.transcripts.append(k, tiny);
    appended.push(...tiny);
    w.clock.advance(10 * DAY_MS);
    appended.push(...(await grow(store.transcripts, k, 'q', 1)));
    expect(store.metrics.s3Puts).toBe(0);
    const aged = await rawHead(w, k);
    expect(aged.partsAt).toBe(day0);
    const parts = await w.raw.listTableParts(k);
    expect(parts).toHaveLength(3);
    // The hazard: a part's TTL is its head's at creation; the live head's TTL moved on since.
    const firstTtl = Math.ceil((day0 + HEAD_RETENTION_MS) / 1000);
    const { Items = [] } = await cloud.peers().doc.send(new ScanCommand({ TableName: w.table }));
    const partTtls = Items.filter((i) => String(i.sk).startsWith('part#')).map((i) => Number(i.ttl));
    expect(Math.min(...partTtls)).toBe(firstTtl);
    expect(aged.ttl).toBeGreaterThan(firstTtl);

    w.clock.set(day0 + REFRESH_MS + 1);
    appended.push(...(await grow(store.transcripts, k, 'r', 1)));
    const refreshed = await rawHead(w, k);
    expect(refreshed.parts).toEqual([]);
    expect(refreshed.segments.length).toBeGreaterThan(0);
    expect(refreshed.segments.every((s) => s.at === w.clock.now())).toBe(true);
    expect(await w.raw.listTableParts(k)).toEqual([]);
    expect(await coldLoad(w, k)).toEqual(appended);
  });

  /**
   * S3's lifecycle rule and DynamoDB's TTL as the cloud would apply them, counted on the test's
   * clock: objects whose creation (recorded at PutObject) is more than 50 days ago, items whose
   * `ttl` passed. Returns how many it deleted.
   */
  async function expire(w: CloudWorld, created: Map<string, number>): Promise<number> {
    const now = w.clock.now();
    let deleted = 0;
    const res = await cloud
      .peers()
      .s3.send(new ListObjectsV2Command({ Bucket: w.bucket, Prefix: 'tenants/' }));
    for (const o of res.Contents ?? []) {
      const at = created.get(String(o.Key));
      if (at === undefined) throw new Error(`object ${o.Key} was not created through the recording client`);
      if (now - at > HEAD_RETENTION_MS) {
        await cloud.peers().s3.send(new DeleteObjectCommand({ Bucket: w.bucket, Key: o.Key }));
        deleted++;
      }
    }
    const { Items = [] } = await cloud
      .peers()
      .doc.send(new ScanCommand({ TableName: w.table, ConsistentRead: true }));
    for (const item of Items) {
      if (typeof item.ttl === 'number' && item.ttl * 1000 < now) {
        await cloud
          .peers()
          .doc.send(new DeleteCommand({ TableName: w.table, Key: { pk: item.pk, sk: item.sk } }));
        deleted++;
      }
    }
    return deleted;
  }

  /**
   * A turn after each gap (days), as the runner does it: expire, then in a fresh container (cold
   * load) take the conversation's lease, resume through `transcriptsFor(lease)`, append 3 batches
   * (fenced: the refresh commits under the lease too), release.
   */
  async function liveConversation(
    policy: Partial<CompactionPolicy>,
  ): Promise<{ turns: number; expired: number; lost?: unknown }> {
    const w = await cloud.world();
    const created = new Map<string, number>();
    const s3 = hookedS3(
      cloud.peers(),
      async (command, input, phase) => {
        if (command === 'PutObjectCommand' && phase === 'after')
          created.set(String(input.Key), w.clock.now());
      },
      onCleanup,
    );
    const k = sessionKey();
    const conversation = conversationKey({ tenant: 'acme', chat: 'long-lived' });
    const expected: SessionStoreEntry[] = [];
    let expired = 0;
    const gaps = [0, 24, 3, 24, 24, 11, 24, 24, 24];
    for (const [turn, gap] of gaps.entries()) {
      w.clock.advance(gap * DAY_MS);
      expired += await expire(w, created);
      const container = w.container({ s3, cacheBytes: 0, compaction: { ...SMALL, ...policy } });
      const lease = await container.leases.acquire(conversation, { ttlMs: 60_000 });
      const store = container.transcriptsFor(lease);
      try {
        let loaded: SessionStoreEntry[] | null;
        try {
          loaded = await store.load(k);
        } catch (err) {
          return { turns: turn, expired, lost: err };
        }
        expect(loaded ?? []).toEqual(expected);
        for (let b = 0; b < 3; b++) {
          const batch = transcriptEntries(`t${turn}-${b}`, 1, 1000);
          await store.append(k, batch);
          expected.push(...batch);
        }
      } finally {
        await container.leases.release(lease);
      }
    }
    return { turns: gaps.length, expired };
  }

  it('a conversation with a turn at most 24 days apart keeps its whole history for 158 days under the S3 lifecycle rule and DynamoDB TTL', async () => {
    const live = await liveConversation({});
    expect(live.lost).toBeUndefined();
    expect(live.turns).toBe(9);
    // The rule did run: superseded objects (not yet garbage-collected) expired, none a head referenced.
    expect(live.expired).toBeGreaterThan(0);

    // Control: the same conversation without the refresh loses a segment to the lifecycle rule.
    const unrefreshed = await liveConversation({ refreshAfterMs: Number.POSITIVE_INFINITY });
    expect(unrefreshed.lost).toBeInstanceOf(SessionHistoryError);
    expect(String((unrefreshed.lost as Error).message)).toMatch(/is missing/);
    expect(unrefreshed.turns).toBeLessThan(9);
  });

  it('a refresh racing a concurrent append loses nothing: the append lands, the losing refresh deletes what it wrote', async () => {
    const w = await cloud.world();
    const k = sessionKey();
    const writer = w.container({ compaction: SMALL });
    const appended = await grow(writer.transcripts, k, 'a', 8);
    const objectsBefore = await s3Objects(w, k);
    w.clock.advance(REFRESH_MS + 1);

    // Between the refresh's S3 writes and its commit, another container appends (and, the same
    // refresh being due, refreshes too).
    const other = w.container({ compaction: SMALL });
    const concurrent = transcriptEntries('concurrent', 1, 1000);
    let raced = false;
    const dynamo = hookedDynamo(
      cloud.peers(),
      async (command, input, phase) => {
        if (raced || phase !== 'before' || command !== 'UpdateItemCommand') return;
        if (!String(input.UpdateExpression ?? '').includes('#segments')) return;
        raced = true;
        await other.transcripts.append(k, concurrent);
      },
      onCleanup,
    );
    const racing = w.container({ dynamo, compaction: SMALL });
    const mine = transcriptEntries('mine', 1, 1000);
    await racing.transcripts.append(k, mine);
    expect(raced).toBe(true);

    const head = await rawHead(w, k);
    expect(head.entries).toBe(10);
    expect(head.segments.every((s) => s.at === w.clock.now())).toBe(true);
    expect(head.parts).toEqual([]);
    // In S3: the winner's segments and what was there before (grace); nothing the loser wrote.
    const names = [...(await s3Objects(w, k)).keys()].sort();
    expect(names).toEqual([...head.segments.map((s) => s.name), ...objectsBefore.keys()].sort());
    expect(await coldLoad(w, k)).toEqual([...appended, ...mine, ...concurrent]);
  });

  it('a refresh whose lease is taken over before it commits writes nothing; the new holder refreshes', async () => {
    const w = await cloud.world();
    const k = sessionKey();
    const conversation = conversationKey({ tenant: 'acme', chat: 'taken-over' });
    const appended = await grow(w.container({ compaction: SMALL }).transcripts, k, 'a', 8);
    const old = await rawHead(w, k);
    const objectsBefore = await s3Objects(w, k);
    w.clock.advance(REFRESH_MS + 1);

    // Right before the fenced refresh commits (a transaction moving `segments`), the lease
    // expires and another worker takes the conversation over.
    const next = w.container({ owner: 'worker-2', compaction: SMALL });
    let taken: Lease | undefined;
    const dynamo = hookedDynamo(
      cloud.peers(),
      async (command, input, phase) => {
        if (taken || phase !== 'before' || command !== 'TransactWriteItemsCommand') return;
        if (!JSON.stringify(input.TransactItems ?? []).includes('#segments')) return;
        w.clock.advance(30_001);
        taken = await next.leases.acquire(conversation, { ttlMs: 30_000 });
      },
      onCleanup,
    );
    const first = w.container({ dynamo, owner: 'worker-1', compaction: SMALL });
    const lease = await first.leases.acquire(conversation, { ttlMs: 30_000 });
    const mine = transcriptEntries('mine', 1, 1000);
    await first.transcriptsFor(lease).append(k, mine); // committed before the takeover
    appended.push(...mine);
    expect(taken).toBeDefined();

    const head = await rawHead(w, k);
    expect(head.segments).toEqual(old.segments);
    expect(head.parts).toHaveLength(1);
    // What the fenced refresh uploaded was deleted again: S3 holds exactly what it held before.
    expect([...(await s3Objects(w, k)).keys()].sort()).toEqual([...objectsBefore.keys()].sort());
    expect(await coldLoad(w, k)).toEqual(appended);

    appended.push(...(await grow(next.transcriptsFor(taken!), k, 'b', 1)));
    const refreshed = await rawHead(w, k);
    expect(refreshed.segments.every((s) => s.at === w.clock.now())).toBe(true);
    expect(refreshed.parts).toEqual([]);
    expect(await coldLoad(w, k)).toEqual(appended);
  });

  it('a refresh that fails halfway through its S3 writes keeps the old head; the next append refreshes and collects the orphan', async () => {
    const w = await cloud.world();
    const k = sessionKey();
    const appended = await grow(w.container({ compaction: SMALL }).transcripts, k, 'a', 8);
    const old = await rawHead(w, k);
    const objectsBefore = await s3Objects(w, k);
    w.clock.advance(REFRESH_MS + 1);

    let puts = 0;
    let armed = true;
    const s3 = hookedS3(
      cloud.peers(),
      async (command, _input, phase) => {
        if (!armed || command !== 'PutObjectCommand' || phase !== 'before') return;
        if (++puts === 2) throw Object.assign(new Error('internal error'), { name: 'InternalError' });
      },
      onCleanup,
    );
    const { logger, warnings } = warningsLogger();
    const failing = w.container({ s3, logger, compaction: SMALL });
    appended.push(...(await grow(failing.transcripts, k, 'b', 1))); // the append itself committed
    armed = false;
    expect(puts).toBe(2);
    expect(warnings.some((m) => m.includes('compaction failed'))).toBe(true);
    const head = await rawHead(w, k);
    expect(head.segments).toEqual(old.segments);
    expect(head.parts).toHaveLength(1);
    expect(await coldLoad(w, k)).toEqual(appended);
    // The one segment it did write is referenced by no head: an orphan for a later compaction.
    const orphans = [...(await s3Objects(w, k)).keys()].filter((n) => !objectsBefore.has(n));
    expect(orphans).toHaveLength(1);
    expect(head.segments.map((s) => s.name)).not.toContain(orphans[0]);

    const collector = w.container({ compaction: { ...SMALL, garbageGraceMs: 0 } });
    appended.push(...(await grow(collector.transcripts, k, 'c', 1)));
    const refreshed = await rawHead(w, k);
    expect(refreshed.segments.every((s) => s.at === w.clock.now())).toBe(true);
    expect([...(await s3Objects(w, k)).keys()].sort()).toEqual(refreshed.segments.map((s) => s.name).sort());
    expect(await coldLoad(w, k)).toEqual(appended);
  });

  it('a refresh whose commit response is lost: the head moved, the merged parts are left to their TTL, nothing is lost', async () => {
    const w = await cloud.world();
    const k = sessionKey();
    const appended = await grow(w.container({ compaction: SMALL }).transcripts, k, 'a', 8);
    w.clock.advance(REFRESH_MS + 1);
    let lost = false;
    const dynamo = hookedDynamo(
      cloud.peers(),
      async (command, input, phase) => {
        if (lost || phase !== 'after' || command !== 'UpdateItemCommand') return;
        if (!String(input.UpdateExpression ?? '').includes('#segments')) return;
        lost = true;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
      onCleanup,
    );
    const { logger, warnings } = warningsLogger();
    const store = w.container({ dynamo, logger, compaction: SMALL });
    appended.push(...(await grow(store.transcripts, k, 'b', 1)));
    expect(lost).toBe(true);
    expect(warnings.some((m) => m.includes('compaction failed'))).toBe(true);

    const head = await rawHead(w, k);
    expect(head.segments.every((s) => s.at === w.clock.now())).toBe(true);
    expect(head.parts).toEqual([]);
    // The part it merged was not deleted (the outcome looked unknown); its TTL removes it.
    const leftovers = await w.raw.listTableParts(k);
    expect(leftovers).toHaveLength(1);
    const { Items = [] } = await cloud.peers().doc.send(new ScanCommand({ TableName: w.table }));
    const ttl = Number(Items.find((i) => String(i.sk).startsWith('part#'))?.ttl);
    expect(ttl).toBe(Math.ceil((w.clock.now() + HEAD_RETENTION_MS) / 1000));
    expect(await coldLoad(w, k)).toEqual(appended);

    // The same container carries on from the re-read head.
    appended.push(...(await grow(store.transcripts, k, 'c', 2)));
    expect(await coldLoad(w, k)).toEqual(appended);
  });
});
