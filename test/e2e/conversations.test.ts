import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TenantTurnPolicy } from '../../src/agent/budget.js';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import { createConversationService } from '../../src/conversations/service.js';
import type { ConversationChoices } from '../../src/conversations/types.js';
import { parseSessionId } from '../../src/core/ids.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { systemText, userTexts } from '../../src/model/index.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/**
 * Conversation management end to end (issue 17): the REAL runner with the real `claude` binary,
 * the offline model and SQLite storage — the catalog entry every turn records, the conversation's
 * model and agent settings reaching the model, a chosen-but-not-started session, and switching back
 * to an earlier session after /new.
 */
const REVIEWER_PROMPT = 'You are the REVIEWER-AGENT-5K.';
/** Model ids the offline model answers to (it reports back the model it was asked for). */
const FAST_ID = 'claude-haiku-4-5';
const BIG_ID = 'claude-sonnet-4-5';
const POLICY: TenantTurnPolicy = { models: { fast: FAST_ID, big: BIG_ID } };
const CHOICES: ConversationChoices = {
  models: POLICY.models ?? {},
  defaultModel: undefined,
  agents: ['reviewer'],
};

let h: AgentHarness;
const pools: WarmPool[] = [];

beforeAll(async () => {
  h = await startAgentHarness({
    ...PLAIN_PROFILE,
    agents: { reviewer: { description: 'Reviews changes', prompt: REVIEWER_PROMPT } },
  });
});
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string): ConversationKey => conversationKey({ tenant: 'default', chat });
const lastRequest = () => h.model.requests.at(-1);
const lastUserTexts = (): string[] => {
  const last = lastRequest();
  return last ? userTexts(last) : [];
};

/** A logger that keeps every warning (with its child fields), for asserting what the runner reported. */
function warnings(): { logger: Logger; lines: Array<{ msg: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  const make = (base: Record<string, unknown>): Logger => ({
    debug: () => {},
    info: () => {},
    warn: (msg, fields) => lines.push({ msg, fields: { ...base, ...fields } }),
    error: (msg, fields) => lines.push({ msg, fields: { ...base, ...fields } }),
    child: (fields) => make({ ...base, ...fields }),
  });
  return { logger: make({}), lines };
}

function service() {
  return createConversationService({
    storage: h.storage,
    choices: async () => CHOICES,
    logger: silentLogger,
  });
}

function warmRunner() {
  const pool = createWarmPool({ max: 4, idleMs: 60_000, logger: silentLogger });
  pools.push(pool);
  return { pool, runner: h.runnerWith({ warm: pool, spares: false, tenantPolicy: () => POLICY }) };
}

describe('the session catalog, recorded by real turns', () => {
  it('a turn records its session; the next adds to it; after /new a second entry is listed too', async () => {
    const k = key('catalog');
    const first = await h.runner.runTurn({ key: k, text: 'What runs in\nproduction?' });
    expect(first.is_error).toBe(false);
    const sid = parseSessionId(first.session_id);
    const info = await h.storage.sessions.get(k.tenant, sid);
    expect(info).toMatchObject({
      key: k,
      sessionId: sid,
      turns: 1,
      title: 'What runs in production?',
      model: first.model,
      origin: 'turn',
    });
    expect(first.model).toEqual(expect.any(String));
    expect(info?.costUsd).toBeCloseTo(first.cost_usd, 9);
    expect(info?.historyUntil).toBe((info?.updatedAt ?? 0) + 25 * 24 * 3600 * 1000);

    const second = await h.runner.runTurn({ key: k, text: 'and in staging?' });
    expect(second.session_id).toBe(sid);
    const after = await h.storage.sessions.get(k.tenant, sid);
    expect(after).toMatchObject({ turns: 2, title: 'What runs in production?', createdAt: info?.createdAt });
    expect(after?.costUsd).toBeCloseTo(first.cost_usd + second.cost_usd, 9);
    expect(after?.updatedAt).toBeGreaterThanOrEqual(info?.updatedAt ?? 0);

    await h.runner.resetConversation(k);
    const third = await h.runner.runTurn({ key: k, text: 'a new topic' });
    expect(third.session_id).not.toBe(sid);
    const listed = await h.storage.sessions.list(k.tenant, { chat: k.chat, thread: k.thread });
    expect(listed.map((s) => [s.sessionId, s.turns, s.title])).toEqual([
      [third.session_id, 1, 'a new topic'],
      [sid, 2, 'What runs in production?'],
    ]);
  });
});

describe("a conversation's model (configure → the next turn)", () => {
  it('a chosen alias is what the model is asked for; the session chosen but not started is started, not resumed', async () => {
    const k = key('model-alias');
    const chosen = parseSessionId(randomUUID());
    await h.storage.conversations.configure(k, { model: 'fast' }, chosen);
    expect(await h.storage.conversations.get(k)).toMatchObject({
      sessionId: chosen,
      turns: 0,
      model: 'fast',
    });

    const runner = h.runnerWith({ tenantPolicy: () => POLICY });
    h.model.requests.length = 0;
    const result = await runner.runTurn({ key: k, text: 'hello fast model' });
    expect(result.is_error).toBe(false);
    expect(lastRequest()?.model).toBe(FAST_ID);
    expect(result.model).toBe(FAST_ID);
    // Started fresh: the model saw this message only, and the map now records the session that ran.
    expect(lastUserTexts()).toEqual(['hello fast model']);
    expect(await h.storage.conversations.get(k)).toMatchObject({
      sessionId: result.session_id,
      turns: 1,
      model: 'fast',
    });
    expect(await h.storage.sessions.get(k.tenant, parseSessionId(result.session_id))).toMatchObject({
      turns: 1,
      model: FAST_ID,
    });

    // A change on a started conversation keeps its session: the next turn resumes with the history.
    await service().configure(k, { model: 'big' });
    const next = await runner.runTurn({ key: k, text: 'now the big one' });
    expect(next.session_id).toBe(result.session_id);
    expect(lastRequest()?.model).toBe(BIG_ID);
    expect(lastUserTexts()).toEqual(['hello fast model', 'now the big one']);
    expect(await h.storage.conversations.get(k)).toMatchObject({ turns: 2, model: 'big' });

    // Back to the default: no model is named by the conversation any more.
    await service().configure(k, { model: null });
    await runner.runTurn({ key: k, text: 'default again' });
    expect(lastRequest()?.model).not.toBe(BIG_ID);
    expect(lastRequest()?.model).not.toBe(FAST_ID);
  });

  it('a live process takes the next turn; after a change under the lease it is not reused', async () => {
    const { runner, pool } = warmRunner();
    const k = key('model-warm');
    await service().configure(k, { model: 'fast' });
    const first = await runner.runTurn({ key: k, text: 'one' });
    const second = await runner.runTurn({ key: k, text: 'two' });
    expect(second.session_id).toBe(first.session_id);
    expect(pool.stats()).toMatchObject({ live: 1, hits: 1 });
    expect(lastRequest()?.model).toBe(FAST_ID);

    // Another container changes the model: it takes the conversation's lease, so the live
    // process's turn is no longer the last one and it must not answer with the old setting.
    await service().configure(k, { model: 'big' });
    const third = await runner.runTurn({ key: k, text: 'three' });
    expect(third.is_error).toBe(false);
    expect(third.session_id).toBe(first.session_id);
    expect(pool.stats().hits).toBe(1);
    expect(pool.stats().misses.stale).toBe(1);
    expect(lastRequest()?.model).toBe(BIG_ID);
    expect(lastUserTexts()).toEqual(['one', 'two', 'three']);

    // The new process is live and current: the next turn is a hit again, still on the new model.
    await runner.runTurn({ key: k, text: 'four' });
    expect(pool.stats().hits).toBe(2);
    expect(lastRequest()?.model).toBe(BIG_ID);
  });

  it('a change written directly under a lease taken and released by hand also makes the process stale', async () => {
    const { runner, pool } = warmRunner();
    const k = key('model-warm-direct');
    await runner.runTurn({ key: k, text: 'one' });
    const lease = await h.storage.leases.acquire(k, { ttlMs: 10_000 });
    await h.storage.conversations.configure(k, { model: 'fast' }, parseSessionId(randomUUID()));
    await h.storage.leases.release(lease);
    await runner.runTurn({ key: k, text: 'two' });
    expect(pool.stats().misses.stale).toBe(1);
    expect(lastRequest()?.model).toBe(FAST_ID);
    expect(lastUserTexts()).toEqual(['one', 'two']);
  });
});

describe("a conversation's agent", () => {
  it('the configured agent answers; a setting whose agent or alias was removed falls back with a warning', async () => {
    const k = key('agent');
    await service().configure(k, { agent: 'reviewer' });
    const runner = h.runnerWith({ tenantPolicy: () => POLICY });
    const first = await runner.runTurn({ key: k, text: 'review this' });
    expect(first.is_error).toBe(false);
    expect(systemText(lastRequest()!)).toContain('REVIEWER-AGENT-5K');

    // The configuration changed since (agents.json lost `reviewer`, the tenant lost the alias):
    // the stored settings are stale. Written below the service, which would refuse them now.
    const stale = key('agent-stale');
    await h.storage.conversations.configure(
      stale,
      { agent: 'gone', model: 'vanished' },
      parseSessionId(randomUUID()),
    );
    const log = warnings();
    const quiet = h.runnerWith({ tenantPolicy: () => POLICY, logger: log.logger });
    const result = await quiet.runTurn({ key: stale, text: 'still there?' });
    expect(result.is_error).toBe(false);
    expect(systemText(lastRequest()!)).not.toContain('REVIEWER-AGENT-5K');
    expect(lastRequest()?.model).not.toBe('vanished');
    const warned = log.lines.find((l) => l.msg.includes('no longer configured'));
    expect(warned?.fields['dropped']).toEqual(
      expect.arrayContaining([
        { setting: 'agent', value: 'gone' },
        { setting: 'model', value: 'vanished' },
      ]),
    );
    // The settings stay (an operator may restore the agent); `/agent` shows them as stale.
    expect(await h.storage.conversations.get(stale)).toMatchObject({
      agent: 'gone',
      model: 'vanished',
      turns: 1,
    });
    expect((await service().settings(stale)).stale.sort()).toEqual(['agent', 'model']);
  });
});

describe('switching back to an earlier session', () => {
  it('after /new, switchTo the first session: the next turn resumes it with its history', async () => {
    const k = key('switch');
    const first = await h.runner.runTurn({ key: k, text: 'my name is Ada' });
    await h.runner.runTurn({ key: k, text: 'I like tea' });
    await h.runner.resetConversation(k);
    const other = await h.runner.runTurn({ key: k, text: 'a different topic' });
    expect(other.session_id).not.toBe(first.session_id);

    const conversations = service();
    const listing = await conversations.sessions(k);
    expect(listing.current).toBe(other.session_id);
    expect(listing.sessions.map((s) => [s.sessionId, s.current, s.history])).toEqual([
      [other.session_id, true, 'available'],
      [first.session_id, false, 'available'],
    ]);

    const outcome = await conversations.switchTo(k, first.session_id, 'test');
    expect(outcome).toMatchObject({ unchanged: false, session: { sessionId: first.session_id, turns: 2 } });
    expect(await h.storage.conversations.get(k)).toMatchObject({ sessionId: first.session_id, turns: 2 });

    h.model.requests.length = 0;
    const resumed = await h.runner.runTurn({ key: k, text: 'what is my name?' });
    expect(resumed.is_error).toBe(false);
    expect(resumed.session_id).toBe(first.session_id);
    expect(resumed.response).toContain('I was shown 2 earlier');
    expect(lastUserTexts()).toEqual(['my name is Ada', 'I like tea', 'what is my name?']);
    expect(await h.storage.conversations.get(k)).toMatchObject({ sessionId: first.session_id, turns: 3 });
    expect(await h.storage.sessions.get(k.tenant, parseSessionId(first.session_id))).toMatchObject({
      turns: 3,
    });
    expect(await h.storage.sessions.get(k.tenant, parseSessionId(other.session_id))).toMatchObject({
      turns: 1,
    });

    // Switching to the session it is already on changes nothing.
    expect((await conversations.switchTo(k, first.session_id)).unchanged).toBe(true);
  });

  it('switchTo a session of another conversation is refused and changes nothing', async () => {
    const a = key('switch-a');
    const b = key('switch-b');
    const theirs = await h.runner.runTurn({ key: a, text: 'private to a' });
    const mine = await h.runner.runTurn({ key: b, text: 'b speaking' });
    await expect(service().switchTo(b, theirs.session_id)).rejects.toMatchObject({
      code: 'session_not_found',
    });
    expect(await h.storage.conversations.get(b)).toMatchObject({ sessionId: mine.session_id, turns: 1 });
  });
});
