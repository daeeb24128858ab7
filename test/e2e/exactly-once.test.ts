import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidIdError } from '../../src/core/errors.js';
import { parseRequestId, parseSessionId } from '../../src/core/ids.js';
import { conversationKey, projectKeyForTenant, type ConversationKey } from '../../src/core/keys.js';
import { userTexts } from '../../src/model/index.js';
import { openSqliteUsageStore } from '../../src/usage/index.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/**
 * Exactly-once turns (turn ledger): the real runner, SDK binary, offline model and SQLite storage.
 * A crash is simulated by putting the ledger (and the map) back where a dead attempt would have
 * left them, then repeating the request.
 */
let h: AgentHarness;
beforeAll(async () => {
  h = await startAgentHarness();
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string) => conversationKey({ tenant: 'default', chat });
const rid = (n: string) => parseRequestId(`tg:${n}`);

async function mainEntries(k: ConversationKey, sessionId: string) {
  return (await h.storage.transcripts.load({ projectKey: projectKeyForTenant(k.tenant), sessionId })) ?? [];
}

/** How often each user text is stored in the session's transcript. */
async function storedUserTexts(k: ConversationKey, sessionId: string): Promise<string[]> {
  const texts: string[] = [];
  for (const e of await mainEntries(k, sessionId)) {
    const content = (e.message as { content?: unknown } | undefined)?.content;
    if (e.type !== 'user' || !Array.isArray(content)) continue;
    for (const b of content as Array<{ type?: string; text?: string }>) {
      if (b.type === 'text' && typeof b.text === 'string') texts.push(b.text);
    }
  }
  return texts;
}

describe('exactly-once turns (real runner)', () => {
  it('a repeated request id gets the recorded result back: no model call, no map change', async () => {
    const k = key('repeat');
    h.model.requests.length = 0;
    const first = await h.runner.runTurn({ key: k, text: 'only once', requestId: 'tg:1' });
    expect(first.is_error).toBe(false);
    expect(first.replayed).toBeUndefined();
    const again = await h.runner.runTurn({ key: k, text: 'only once', requestId: 'tg:1' });
    expect(again).toMatchObject({
      replayed: 'done',
      delivered: false,
      response: first.response,
      session_id: first.session_id,
      is_error: false,
    });
    expect(h.model.requests).toHaveLength(1);
    expect(await h.storage.conversations.get(k)).toMatchObject({ turns: 1 });
    expect(await storedUserTexts(k, first.session_id)).toEqual(['only once']);
    // Another request id is another turn.
    const next = await h.runner.runTurn({ key: k, text: 'only once', requestId: 'tg:2' });
    expect(next.replayed).toBeUndefined();
    expect(h.model.requests).toHaveLength(2);
  });

  it('delivers under the lease, records it, and a repeat of a delivered request sends nothing', async () => {
    const k = key('deliver');
    const delivered: string[] = [];
    const deliver = async (r: { response: string }) => (delivered.push(r.response), true);
    const first = await h.runner.runTurn({ key: k, text: 'hi', requestId: 'tg:10', deliver });
    expect(first.delivered).toBe(true);
    expect((await h.storage.turns.get(k, rid('10')))?.delivered).toBe(true);
    const again = await h.runner.runTurn({ key: k, text: 'hi', requestId: 'tg:10', deliver });
    expect(again).toMatchObject({ replayed: 'done', delivered: true });
    expect(delivered).toEqual([first.response]);
  });

  it('a recorded but undelivered result is delivered by the repeat (reply at least once)', async () => {
    const k = key('undelivered');
    const sent: string[] = [];
    const first = await h.runner.runTurn({
      key: k,
      text: 'hi',
      requestId: 'tg:20',
      deliver: async () => false,
    });
    expect(first.delivered).toBe(false);
    const again = await h.runner.runTurn({
      key: k,
      text: 'hi',
      requestId: 'tg:20',
      deliver: async (r) => (sent.push(r.response), true),
    });
    expect(again).toMatchObject({ replayed: 'done', delivered: true });
    expect(sent).toEqual([first.response]);
  });

  it('new session stored, attempt died before the map touch: the repeat commits it, never runs it again', async () => {
    const k = key('died-before-touch');
    const first = await h.runner.runTurn({ key: k, text: 'remember me', requestId: 'tg:30' });
    const sessionId = parseSessionId(first.session_id);
    // Where a worker killed after the transcript commit leaves things: ledger `started`, no map record.
    await h.storage.turns.begin(k, rid('30'), { sessionId, entriesBefore: 0, turnsBefore: 0 });
    await h.storage.conversations.remove(k);
    h.model.requests.length = 0;
    const again = await h.runner.runTurn({ key: k, text: 'remember me', requestId: 'tg:30' });
    expect(again).toMatchObject({
      replayed: 'recovered',
      is_error: false,
      response: first.response,
      session_id: first.session_id,
      cost_usd: 0,
    });
    expect(h.model.requests).toHaveLength(0);
    expect(await h.storage.conversations.get(k)).toMatchObject({ sessionId, turns: 1 });
    expect((await h.storage.turns.get(k, rid('30')))?.state).toBe('done');
    // The next message continues that session (and the first message is in it once).
    const next = await h.runner.runTurn({ key: k, text: 'who am I?', requestId: 'tg:31' });
    expect(next.session_id).toBe(first.session_id);
    expect(userTexts(h.model.requests.at(-1)!)).toEqual(['remember me', 'who am I?']);
    expect(await storedUserTexts(k, first.session_id)).toEqual(['remember me', 'who am I?']);
  });

  it('resumed turn stored and mapped, attempt died before recording: the map is not touched twice', async () => {
    const k = key('died-after-touch');
    const one = await h.runner.runTurn({ key: k, text: 'first', requestId: 'tg:40' });
    const sessionId = parseSessionId(one.session_id);
    const before = (await mainEntries(k, sessionId)).length;
    const two = await h.runner.runTurn({ key: k, text: 'second', requestId: 'tg:41' });
    await h.storage.turns.begin(k, rid('41'), { sessionId, entriesBefore: before, turnsBefore: 1 });
    h.model.requests.length = 0;
    const again = await h.runner.runTurn({ key: k, text: 'second', requestId: 'tg:41' });
    expect(again).toMatchObject({ replayed: 'recovered', response: two.response });
    expect(h.model.requests).toHaveLength(0);
    expect(await h.storage.conversations.get(k)).toMatchObject({ sessionId, turns: 2 });
    expect(await storedUserTexts(k, sessionId)).toEqual(['first', 'second']);
  });

  it('an attempt that stored nothing is run normally', async () => {
    const k = key('nothing-stored');
    const one = await h.runner.runTurn({ key: k, text: 'first', requestId: 'tg:50' });
    const sessionId = parseSessionId(one.session_id);
    const entries = (await mainEntries(k, sessionId)).length;
    await h.storage.turns.begin(k, rid('51'), { sessionId, entriesBefore: entries, turnsBefore: 1 });
    h.model.requests.length = 0;
    const two = await h.runner.runTurn({ key: k, text: 'second', requestId: 'tg:51' });
    expect(two.replayed).toBeUndefined();
    expect(two.is_error).toBe(false);
    expect(h.model.requests).toHaveLength(1);
    expect(await storedUserTexts(k, sessionId)).toEqual(['first', 'second']);
    expect((await h.storage.turns.get(k, rid('51')))?.state).toBe('done');
  });

  it('stored without a reply: says so (turn_interrupted) instead of running it again or staying silent', async () => {
    const k = key('no-reply');
    const sessionId = parseSessionId(randomUUID());
    await h.storage.turns.begin(k, rid('60'), { sessionId, entriesBefore: 0, turnsBefore: 0 });
    await h.storage.transcripts.append({ projectKey: projectKeyForTenant(k.tenant), sessionId }, [
      {
        type: 'user',
        uuid: randomUUID(),
        parentUuid: null,
        isSidechain: false,
        message: { role: 'user', content: [{ type: 'text', text: 'lost answer' }] },
      },
    ]);
    h.model.requests.length = 0;
    const result = await h.runner.runTurn({ key: k, text: 'lost answer', requestId: 'tg:60' });
    expect(result).toMatchObject({ replayed: 'recovered', is_error: true, error_code: 'turn_interrupted' });
    expect(result.error_message).toMatch(/processed but its reply was lost/);
    expect(h.model.requests).toHaveLength(0);
    expect(await h.storage.conversations.get(k)).toMatchObject({ sessionId, turns: 1 });
    const again = await h.runner.runTurn({ key: k, text: 'lost answer', requestId: 'tg:60' });
    expect(again).toMatchObject({ replayed: 'done', error_code: 'turn_interrupted' });
  });

  it('usage is recorded once; a replay is not counted again', async () => {
    const usage = await openSqliteUsageStore({ file: join(h.dir, 'usage.sqlite') });
    try {
      const runner = h.runnerWith({ usage });
      const k = key('usage-once');
      await runner.runTurn({ key: k, text: 'count me', requestId: 'tg:70' });
      const again = await runner.runTurn({ key: k, text: 'count me', requestId: 'tg:70' });
      expect(again.replayed).toBe('done');
      const spent = await usage.summary({ tenant: k.tenant, chat: k.chat, thread: k.thread }, 'all');
      expect(spent.turns).toBe(1);
    } finally {
      await usage.close();
    }
  });

  it('rejects an unsafe request id before locking or writing anything', async () => {
    const k = key('hostile');
    await expect(h.runner.runTurn({ key: k, text: 'x', requestId: 'tg:1#../x' })).rejects.toBeInstanceOf(
      InvalidIdError,
    );
    const lease = await h.storage.leases.acquire(k, { ttlMs: 1000 });
    await h.storage.leases.release(lease);
    expect(await h.storage.conversations.get(k)).toBeNull();
  });
});
