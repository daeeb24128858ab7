import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../core/clock.js';
import { parseSessionId } from '../../../core/ids.js';
import { conversationKey } from '../../../core/keys.js';
import { transcriptEntries, useCloudWorlds, type CloudWorld } from '../../../../test/support/cloud-world.js';

/**
 * Index markers (schema.ts, index-markers.ts): the tenant-partition items that keep listings one
 * strongly consistent Query, checked through the raw table.
 */
const cloud = useCloudWorlds();
const TENANT = 'acme';
const sec = (ms: number) => Math.ceil(ms / 1000);

const rawGet = async (w: CloudWorld, pk: string, sk: string) =>
  (
    await cloud
      .peers()
      .doc.send(new GetCommand({ TableName: w.table, Key: { pk, sk }, ConsistentRead: true }))
  ).Item;
const rawDelete = async (w: CloudWorld, pk: string, sk: string) =>
  cloud.peers().doc.send(new DeleteCommand({ TableName: w.table, Key: { pk, sk } }));

describe('index markers', () => {
  it('list sessions and conversations after create; delete removes them; an orphan marker is skipped', async () => {
    const w = await cloud.world();
    const storage = w.container();
    const s1 = parseSessionId(randomUUID());
    const s2 = parseSessionId(randomUUID());
    for (const sessionId of [s1, s2]) {
      await storage.transcripts.append({ projectKey: TENANT, sessionId }, transcriptEntries('x', 2));
    }
    expect((await storage.transcripts.listSessions(TENANT)).map((s) => s.sessionId).sort()).toEqual(
      [s1, s2].sort(),
    );
    const headSk = (s: string) => `head#${TENANT}#${s}#`;
    const marker = await rawGet(w, TENANT, headSk(s1));
    const head = await rawGet(w, `${TENANT}#s#${s1}`, headSk(s1));
    expect(marker).toEqual({ pk: TENANT, sk: headSk(s1), kind: 'head-index', ttl: head?.indexTtl });
    expect(Number(marker?.ttl)).toBe(Number(head?.ttl) + sec(50 * DAY_MS));

    const k1 = conversationKey({ tenant: TENANT, chat: 1 });
    const k2 = conversationKey({ tenant: TENANT, chat: 2 });
    await storage.conversations.touch(k1, s1);
    await storage.conversations.touch(k2, s2);
    expect((await storage.conversations.list(k1.tenant)).map((c) => c.key.chat)).toEqual(['1', '2']);
    const convSk = (chat: number) => `conv#${TENANT}:${chat}:main`;
    const conv = await rawGet(w, `${TENANT}#c#1:main`, convSk(1));
    expect(await rawGet(w, TENANT, convSk(1))).toEqual({
      pk: TENANT,
      sk: convSk(1),
      kind: 'conversation-index',
      ttl: conv?.indexTtl,
    });
    expect(Number(conv?.indexTtl)).toBe(Number(conv?.ttl) + sec(25 * DAY_MS));

    await storage.transcripts.delete({ projectKey: TENANT, sessionId: s1 });
    expect((await storage.transcripts.listSessions(TENANT)).map((s) => s.sessionId)).toEqual([s2]);
    expect(await rawGet(w, TENANT, headSk(s1))).toBeUndefined();
    await storage.conversations.remove(k1);
    expect((await storage.conversations.list(k1.tenant)).map((c) => c.key.chat)).toEqual(['2']);
    expect(await rawGet(w, TENANT, convSk(1))).toBeUndefined();

    // The indexed item gone without its marker (e.g. expired by TTL first): listed no more.
    await rawDelete(w, `${TENANT}#s#${s2}`, headSk(s2));
    await rawDelete(w, `${TENANT}#c#2:main`, convSk(2));
    expect(await storage.transcripts.listSessions(TENANT)).toEqual([]);
    expect(await storage.conversations.list(k1.tenant)).toEqual([]);
  });

  it('a marker is rewritten only when less than half a retention ahead, always outliving its item', async () => {
    const w = await cloud.world();
    const storage = w.container();
    const sessionId = parseSessionId(randomUUID());
    const key = { projectKey: TENANT, sessionId };
    const headSk = `head#${TENANT}#${sessionId}#`;
    const markerTtl = async () => Number((await rawGet(w, TENANT, headSk))?.ttl);
    const start = w.clock.now();

    // Heads: retention 50 days, marker = head ttl + 50 days; rewritten when the head's ttl passes it.
    const seen: number[] = [];
    for (const day of [0, 20, 40, 60, 76, 90]) {
      w.clock.advance(start + day * DAY_MS - w.clock.now());
      await storage.transcripts.append(key, transcriptEntries(`d${day}`, 1));
      const head = await rawGet(w, `${TENANT}#s#${sessionId}`, headSk);
      expect(await markerTtl()).toBe(head?.indexTtl);
      expect(await markerTtl()).toBeGreaterThan(Number(head?.ttl));
      seen.push(((await markerTtl()) * 1000 - start) / DAY_MS);
    }
    // Written at day 0 (until day 100); at day 60 the head's ttl (110) passes it: until 60 + 50 + 50.
    expect(seen.map(Math.round)).toEqual([100, 100, 100, 160, 160, 160]);

    // Conversations: retention 25 days, marker = item ttl + 25 days; rewritten when the item's ttl
    // passes it (day 38: 63 > 50 → until 38 + 25 + 25).
    const conv = conversationKey({ tenant: TENANT, chat: 5 });
    const convSk = `conv#${TENANT}:5:main`;
    const convStart = w.clock.now();
    const convSeen: number[] = [];
    for (const day of [0, 10, 20, 38, 50]) {
      w.clock.advance(convStart + day * DAY_MS - w.clock.now());
      await storage.conversations.touch(conv, sessionId);
      const item = await rawGet(w, `${TENANT}#c#5:main`, convSk);
      const marker = Number((await rawGet(w, TENANT, convSk))?.ttl);
      expect(marker).toBe(item?.indexTtl);
      expect(marker).toBeGreaterThan(Number(item?.ttl));
      convSeen.push((marker * 1000 - convStart) / DAY_MS);
    }
    expect(convSeen.map(Math.round)).toEqual([50, 50, 50, 88, 88]);
    expect((await storage.conversations.get(conv))?.turns).toBe(5);
    expect((await storage.conversations.list(conv.tenant)).map((c) => c.key.chat)).toEqual(['5']);
  });
});
