import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseConflictError } from '../../src/core/errors.js';
import { conversationKey, projectKeyForTenant } from '../../src/core/keys.js';
import { DEMO_LABEL, errorReply, replyQueue, systemText, userTexts } from '../../src/model/index.js';
import type { Storage } from '../../src/sessions/types.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';

/** The runner end to end: real SDK + binary, offline model, SQLite storage. */
let h: AgentHarness;

beforeAll(async () => {
  h = await startAgentHarness();
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string) => conversationKey({ tenant: 'default', chat });

describe('agent runner (real binary, offline model)', () => {
  it('continues one session across turns: the second request carries the first turn', async () => {
    const k = key('memory');
    const first = await h.runner.runTurn({ key: k, text: 'my name is Ada' });
    expect(first.is_error).toBe(false);
    expect(first.response).toContain(DEMO_LABEL);
    expect(first.cost_usd).toBeGreaterThan(0);

    h.model.requests.length = 0;
    const second = await h.runner.runTurn({ key: k, text: 'what is my name?' });
    expect(second.is_error).toBe(false);
    expect(second.session_id).toBe(first.session_id);
    expect(second.response).toContain('my name is Ada');
    const last = h.model.requests.at(-1);
    expect(last && userTexts(last)).toEqual(['my name is Ada', 'what is my name?']);

    // cost_usd is this turn's cost, not the SDK's running total for the session.
    expect(second.cost_usd).toBeGreaterThan(0);
    expect(second.cost_usd).toBeLessThan(first.cost_usd + second.cost_usd);
    const record = await h.storage.conversations.get(k);
    expect(record).toMatchObject({ sessionId: first.session_id, turns: 2 });
  });

  it('tells the model when the user sent the message', async () => {
    h.model.requests.length = 0;
    const sent = new Date('2026-11-20T08:30:00.000Z');
    await h.runner.runTurn({ key: key('time'), text: 'what time is it?', messageTime: sent });
    const body = JSON.stringify(h.model.requests.at(-1)?.body.messages);
    expect(body).toContain('<message_time>2026-11-20T08:30:00.000Z</message_time>');
  });

  it('reports a model API error clearly, and the next turn still works with the history', async () => {
    const k = key('api-error');
    await h.runner.runTurn({ key: k, text: 'first message' });
    h.model.setHandler(
      replyQueue([errorReply(500, 'overloaded backend'), errorReply(500, 'overloaded backend')]),
    );
    const failed = await h.runner.runTurn({ key: k, text: 'this one fails' });
    expect(failed.is_error).toBe(true);
    expect(failed.error_code).toBe('model_api_error');
    expect(failed.error_message).toMatch(/500|overloaded/);

    h.model.setHandler(replyQueue([]));
    const next = await h.runner.runTurn({ key: k, text: 'third message' });
    expect(next.is_error).toBe(false);
    expect(next.session_id).toBe(failed.session_id);
    const last = h.model.requests.at(-1);
    expect(last && userTexts(last)).toContain('first message');
  });

  it('never resumes silently into an empty session when the history is gone', async () => {
    const k = key('lost-history');
    const first = await h.runner.runTurn({ key: k, text: 'remember this' });
    await h.storage.transcripts.delete({
      projectKey: projectKeyForTenant(k.tenant),
      sessionId: first.session_id,
    });
    h.model.requests.length = 0;
    const next = await h.runner.runTurn({ key: k, text: 'do you remember?' });
    expect(next.is_error).toBe(true);
    expect(next.error_code).toBe('session_history_unavailable');
    expect(next.error_message).toContain(first.session_id);
    expect(h.model.requests).toHaveLength(0); // the model was never called with a blank history
    // The mapping is kept: an operator can restore the history, or the user can start over with /new.
    expect((await h.storage.conversations.get(k))?.sessionId).toBe(first.session_id);
  });

  it('reports a failing store append as an error, not a silent success', async () => {
    const failing: Storage = {
      ...h.storage,
      transcriptsFor: (lease) => ({
        ...h.storage.transcriptsFor(lease),
        append: async () => {
          throw new Error('disk on fire');
        },
      }),
    };
    const runner = h.runnerWith({ storage: failing });
    const k = key('mirror-error');
    const result = await runner.runTurn({ key: k, text: 'will not be saved' });
    expect(result.is_error).toBe(true);
    expect(result.error_code).toBe('history_not_persisted');
    expect(result.error_message).toContain('disk on fire');
    // A new session whose history never reached the store is not recorded in the map.
    expect(await h.storage.conversations.get(k)).toBeNull();
  });

  it('keeps one writer per conversation', async () => {
    const k = key('busy');
    const held = await h.storage.leases.acquire(k, { ttlMs: 30_000 });
    try {
      const runner = h.runnerWith({ lease: { ttlMs: 30_000, waitMs: 200 } });
      await expect(runner.runTurn({ key: k, text: 'hello' })).rejects.toBeInstanceOf(LeaseConflictError);
    } finally {
      await h.storage.leases.release(held);
    }
  });

  it('/new starts a fresh session while the old history stays in the store', async () => {
    const k = key('reset');
    const first = await h.runner.runTurn({ key: k, text: 'before reset' });
    await h.runner.resetConversation(k);
    const second = await h.runner.runTurn({ key: k, text: 'after reset' });
    expect(second.session_id).not.toBe(first.session_id);
    expect(second.response).toContain('no earlier user messages');
    const old = await h.storage.transcripts.load({
      projectKey: projectKeyForTenant(k.tenant),
      sessionId: first.session_id,
    });
    expect(old?.length).toBeGreaterThan(0);
  });
});

describe('a turn answered by a configured agent (TurnRequest.agent)', () => {
  let agents: AgentHarness;
  beforeAll(async () => {
    agents = await startAgentHarness({
      ...PLAIN_PROFILE,
      agents: { reviewer: { description: 'Reviews changes', prompt: 'You are the REVIEWER-AGENT-7Q.' } },
    });
  });
  afterAll(() => agents.close());

  it("runs the main thread as that agent (its prompt is the model's system prompt); an unknown name is refused", async () => {
    const result = await agents.runner.runTurn({
      key: conversationKey({ tenant: 'default', chat: 'agent-1' }),
      text: 'review this',
      agent: 'reviewer',
    });
    expect(result.is_error).toBe(false);
    expect(systemText(agents.model.requests.at(-1)!)).toContain('REVIEWER-AGENT-7Q');
    await expect(
      agents.runner.runTurn({
        key: conversationKey({ tenant: 'default', chat: 'agent-2' }),
        text: 'hi',
        agent: 'nope',
      }),
    ).rejects.toThrow('no agent "nope" in the tenant\'s agents.json (known: reviewer)');
    expect(agents.model.requests).toHaveLength(1);
  });
});
