import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createExactlyOnce } from '../../../agent/exactly-once.js';
import { parseRequestId, parseSessionId } from '../../../core/ids.js';
import { conversationKey } from '../../../core/keys.js';
import { silentLogger } from '../../../core/logger.js';
import { rewriteToLegacyLayout, scanAll } from '../../../../test/cloud/legacy-layout.js';
import { storeTurn } from '../../../../test/cloud/store-turn.js';
import {
  transcriptEntries,
  useCloudWorlds,
  uuids,
  type CloudWorld,
} from '../../../../test/support/cloud-world.js';
import { fakeTurnResult } from '../../../../test/support/turn-result.js';

/**
 * Zero-downtime upgrade (docs/scale.md §8.1): a table written by the previous release (session
 * items under `pk` = tenant) is read by the new code without loss, and an item found there keeps
 * living there. The "previous release" table is made by writing with the current code and moving
 * the raw items into the old layout (test/cloud/legacy-layout.ts).
 */
const cloud = useCloudWorlds();
const TENANT = 'acme';
const k1 = conversationKey({ tenant: TENANT, chat: 101 });
const k2 = conversationKey({ tenant: TENANT, chat: 102 });
const REPLAY = parseRequestId('tg:replay');
const SUBAGENT = 'subagents/agent-abc';

/** Two conversations with two turns each, a subagent stream, a finished ledger record; then legacy layout. */
async function legacyTable(w: CloudWorld) {
  const writer = w.container({ cacheBytes: 0 });
  for (const [n, key] of [k1, k2, k1, k2].entries()) await storeTurn(writer, key, n, w.clock.now());
  const s1 = parseSessionId((await writer.conversations.get(k1))!.sessionId);
  const s2 = parseSessionId((await writer.conversations.get(k2))!.sessionId);
  const main1 = { projectKey: TENANT, sessionId: s1 };
  await writer.transcripts.append({ ...main1, subpath: SUBAGENT }, transcriptEntries('sub', 2));
  const once = createExactlyOnce({ storage: writer, clock: w.clock, logger: silentLogger });
  await once.begin(k1, REPLAY, { sessionId: s1, resumed: true, turnsBefore: 2, entriesBefore: 0 });
  await once.complete(k1, REPLAY, fakeTurnResult({ session_id: s1, response: 'the recorded answer' }));
  const before = {
    main1: await writer.transcripts.load(main1),
    sub1: await writer.transcripts.load({ ...main1, subpath: SUBAGENT }),
    main2: await writer.transcripts.load({ projectKey: TENANT, sessionId: s2 }),
  };
  expect(await rewriteToLegacyLayout(cloud.peers().doc, w.table, TENANT)).toBeGreaterThan(10);
  const items = await scanAll(cloud.peers().doc, w.table);
  expect(
    items.filter((i) => String(i.pk).startsWith(`${TENANT}#s#`) || String(i.pk).startsWith(`${TENANT}#c#`)),
  ).toEqual([]);
  return { s1, s2, main1, before };
}

const rawGet = async (w: CloudWorld, pk: string, sk: string) =>
  (
    await cloud
      .peers()
      .doc.send(new GetCommand({ TableName: w.table, Key: { pk, sk }, ConsistentRead: true }))
  ).Item;

describe('upgrade from the tenant-partition layout', () => {
  it('reads, appends in place, lists once, replays and deletes what the previous release wrote', async () => {
    const w = await cloud.world();
    const { s1, s2, main1, before } = await legacyTable(w);
    const storage = w.container({ cacheBytes: 0 });
    const headSk = `head#${TENANT}#${s1}#`;

    // Loads: every stream whole.
    expect(uuids(await storage.transcripts.load(main1))).toEqual(uuids(before.main1));
    expect(uuids(await storage.transcripts.load({ ...main1, subpath: SUBAGENT }))).toEqual(
      uuids(before.sub1),
    );
    expect(uuids(await storage.transcripts.load({ projectKey: TENANT, sessionId: s2 }))).toEqual(
      uuids(before.main2),
    );
    expect(await storage.transcripts.listSubkeys(main1)).toEqual([SUBAGENT]);
    expect((await storage.transcripts.stat(main1))?.location).toContain(`/${TENANT}/${headSk}`);

    // Listings: each once.
    const listed = (await storage.transcripts.listSessions(TENANT)).map((s) => s.sessionId).sort();
    expect(listed).toEqual([s1, s2].sort());
    expect((await storage.transcripts.listSessionSummaries!(TENANT)).map((s) => s.sessionId).sort()).toEqual(
      listed,
    );
    const conversations = await storage.conversations.list(k1.tenant);
    expect(conversations.map((c) => c.key.chat).sort()).toEqual(['101', '102']);
    expect((await storage.conversations.get(k1))?.sessionId).toBe(s1);

    // A finished turn of the old release is answered from its ledger record, not run again.
    const once = createExactlyOnce({ storage, clock: w.clock, logger: silentLogger });
    const prior = await once.prior(k1, REPLAY, w.clock.now());
    expect(prior).toMatchObject({ replayed: 'done', response: 'the recorded answer' });
    await once.markDelivered(k1, REPLAY);
    expect((await storage.turns.get(k1, REPLAY))?.delivered).toBe(true);

    // Appends (a fenced turn and a new subagent stream) stay at the legacy partition; no twin.
    const legacyParts = async () =>
      (await scanAll(cloud.peers().doc, w.table)).filter(
        (i) => i.pk === TENANT && String(i.sk).startsWith(`part#${TENANT}#${s1}#`),
      ).length;
    const partsBefore = await legacyParts();
    const seqBefore = Number((await rawGet(w, TENANT, headSk))?.seq);
    const turnsBefore = (await storage.conversations.get(k1))!.turns;
    await storeTurn(storage, k1, 10, w.clock.now());
    await storage.transcripts.append(
      { ...main1, subpath: 'subagents/agent-new' },
      transcriptEntries('new', 2),
    );
    const head = await rawGet(w, TENANT, headSk);
    expect(await legacyParts()).toBe(partsBefore + 1); // the turn's table part, beside its head
    expect(head).toMatchObject({ kind: 'head', seq: seqBefore + 2 });
    expect(await rawGet(w, TENANT, `head#${TENANT}#${s1}#subagents/agent-new`)).toMatchObject({
      kind: 'head',
    });
    const conv = await rawGet(w, TENANT, `conv#${TENANT}:101:main`);
    expect(conv).toMatchObject({ kind: 'conversation', turns: turnsBefore + 1 });
    const items = await scanAll(cloud.peers().doc, w.table);
    expect(items.filter((i) => String(i.pk) === `${TENANT}#s#${s1}`)).toEqual([]);
    expect(
      items.filter((i) => String(i.pk) === `${TENANT}#c#101:main` && i.kind !== 'lease' && i.kind !== 'turn'),
    ).toEqual([]);
    // The new turn's own ledger record and the lease are at the new key (leases never at the legacy one).
    expect(await rawGet(w, `${TENANT}#c#101:main`, `turn#${TENANT}:101:main#tg:10`)).toMatchObject({
      state: 'done',
    });
    expect(
      items.filter((i) => i.pk === TENANT && (i.kind === 'head-index' || i.kind === 'conversation-index')),
    ).toEqual([]);
    expect(uuids(await w.container({ cacheBytes: 0 }).transcripts.load(main1))).toHaveLength(
      before.main1!.length + 5,
    );
    expect((await storage.transcripts.listSessions(TENANT)).map((s) => s.sessionId).sort()).toEqual(listed);
    expect((await storage.conversations.list(k1.tenant)).map((c) => c.key.chat).sort()).toEqual([
      '101',
      '102',
    ]);

    // Delete: gone from the listings and from the table.
    await storage.transcripts.delete({ projectKey: TENANT, sessionId: s2 });
    expect(await storage.conversations.remove(k2)).toMatchObject({ sessionId: s2 });
    expect((await storage.transcripts.listSessions(TENANT)).map((s) => s.sessionId)).toEqual([s1]);
    expect((await storage.conversations.list(k1.tenant)).map((c) => c.key.chat)).toEqual(['101']);
    const left = await scanAll(cloud.peers().doc, w.table);
    expect(
      left.filter(
        (i) => JSON.stringify(i).includes(s2) && ['head', 'part', 'conversation'].includes(String(i.kind)),
      ),
    ).toEqual([]);
    expect(
      left.filter((i) => String(i.sk).includes(s2) && i.pk === TENANT && String(i.sk).startsWith('head#')),
    ).toEqual([]);
  }, 120_000);

  it('with legacy reads off (OMNICLOUD_SESSION_LEGACY_KEYS=0) the legacy items are not read', async () => {
    const w = await cloud.world();
    const { main1 } = await legacyTable(w);
    const storage = w.container({ cacheBytes: 0, legacyKeys: false });
    expect(await storage.transcripts.load(main1)).toBeNull();
    expect(await storage.transcripts.stat(main1)).toBeNull();
    expect(await storage.transcripts.listSubkeys(main1)).toEqual([]);
    expect(await storage.transcripts.listSessions(TENANT)).toEqual([]);
    expect(await storage.conversations.get(k1)).toBeNull();
    expect(await storage.conversations.list(k1.tenant)).toEqual([]);
    expect(await storage.turns.get(k1, REPLAY)).toBeNull();
    // A new turn starts afresh at the new keys.
    await storeTurn(storage, k1, 20, w.clock.now());
    const fresh = await storage.conversations.get(k1);
    expect(fresh?.sessionId).not.toBe(main1.sessionId);
    expect((await storage.transcripts.listSessions(TENANT)).map((s) => s.sessionId)).toEqual([
      fresh?.sessionId,
    ]);
  }, 120_000);
});
