import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import type { AgentRunner } from '../../src/agent/types.js';
import { conversationKey, projectKeyForTenant, type ConversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { delayReply, replyQueue, textReply, userTexts } from '../../src/model/index.js';
import type { Storage, TranscriptStore } from '../../src/sessions/types.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { isRunning, liveClaudeProcesses, waitUntil } from '../support/child-processes.js';

/**
 * Warm conversations end to end: the real runner keeps a live `claude` process per conversation
 * (real binary, offline model, SQLite storage) and proves when it may be reused.
 */
let h: AgentHarness;
const pools: WarmPool[] = [];

beforeAll(async () => {
  h = await startAgentHarness();
});
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
  h.model.setHandler(replyQueue([]));
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string): ConversationKey => conversationKey({ tenant: 'default', chat });

/** Session-store requests (through the lease-fenced store) per kind, counted across turns. */
function counting(storage: Storage): { storage: Storage; counts: Record<string, number>; reset(): void } {
  const counts: Record<string, number> = {};
  const bump = (name: string): void => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  const wrap = (store: TranscriptStore): TranscriptStore => ({
    append: (k, e) => (bump('append'), store.append(k, e)),
    load: (k) => (bump('load'), store.load(k)),
    listSessions: (p) => (bump('listSessions'), store.listSessions(p)),
    listSubkeys: (k) => (bump('listSubkeys'), store.listSubkeys(k)),
    delete: (k) => (bump('delete'), store.delete(k)),
    stat: (k) => (bump('stat'), store.stat(k)),
  });
  return {
    storage: { ...storage, transcriptsFor: (lease) => wrap(storage.transcriptsFor(lease)) },
    counts,
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k];
    },
  };
}

function warmRunner(options: { max?: number; idleMs?: number; storage?: Storage; spares?: boolean } = {}): {
  runner: AgentRunner;
  pool: WarmPool;
} {
  const pool = createWarmPool({
    max: options.max ?? 4,
    idleMs: options.idleMs ?? 60_000,
    logger: silentLogger,
  });
  pools.push(pool);
  return {
    pool,
    runner: h.runnerWith({
      warm: pool,
      spares: options.spares ?? false,
      ...(options.storage ? { storage: options.storage } : {}),
    }),
  };
}

const lastUserTexts = (): string[] => {
  const last = h.model.requests.at(-1);
  return last ? userTexts(last) : [];
};

describe('warm conversations (real binary, offline model, SQLite)', () => {
  it('reuses the live process: each turn is one append, no load, and the model sees every message once', async () => {
    const store = counting(h.storage);
    const { runner, pool } = warmRunner({ storage: store.storage });
    const k = key('reuse');
    const first = await runner.runTurn({ key: k, text: 'my name is Ada' });
    expect(first.is_error).toBe(false);
    const children = pool.pids();
    expect(children).toHaveLength(1);
    expect(liveClaudeProcesses()).toEqual(expect.arrayContaining(children));

    for (const [i, text] of ['what is my name?', 'and again?'].entries()) {
      store.reset();
      const next = await runner.runTurn({ key: k, text, requestId: `tg:${100 + i}` });
      expect(next.is_error).toBe(false);
      expect(next.session_id).toBe(first.session_id);
      expect(next.cost_usd).toBeGreaterThan(0);
      expect(next.cost_usd).toBeLessThan(first.cost_usd * 1.5); // this turn's cost, not the running total
      expect(store.counts).toEqual({ append: 1 });
    }
    expect(lastUserTexts()).toEqual(['my name is Ada', 'what is my name?', 'and again?']);
    expect(pool.pids()).toEqual(children); // the same child took all three turns
    expect(pool.stats()).toMatchObject({ live: 1, hits: 2 });
    // The store holds the whole conversation: a one-shot process resumes it.
    const cold = await h.runner.runTurn({ key: k, text: 'cold now' });
    expect(cold.session_id).toBe(first.session_id);
    expect(lastUserTexts()).toEqual(['my name is Ada', 'what is my name?', 'and again?', 'cold now']);
    expect((await h.storage.conversations.get(k))?.turns).toBe(4);
  });

  it('a turn taken by another runner in between makes the live process stale: it is closed, not reused', async () => {
    const { runner, pool } = warmRunner();
    const k = key('stale');
    await runner.runTurn({ key: k, text: 'one' });
    await h.runner.runTurn({ key: k, text: 'two (elsewhere)' }); // another container: the lease token moves on
    await runner.runTurn({ key: k, text: 'three' });
    expect(lastUserTexts()).toEqual(['one', 'two (elsewhere)', 'three']);
    expect(pool.stats().misses.stale).toBe(1);
    expect(pool.stats().live).toBe(1);
  });

  it('/new closes the live process and the next turn starts a fresh session', async () => {
    const { runner, pool } = warmRunner();
    const k = key('reset');
    const first = await runner.runTurn({ key: k, text: 'before reset' });
    await runner.resetConversation(k);
    expect(pool.stats()).toMatchObject({ live: 0, evictions: { reset: 1 } });
    const second = await runner.runTurn({ key: k, text: 'after reset' });
    expect(second.session_id).not.toBe(first.session_id);
    expect(lastUserTexts()).toEqual(['after reset']);
  });

  it('a changed model closes the process; the turn runs in a new one with the history', async () => {
    const { runner, pool } = warmRunner();
    const k = key('model');
    await runner.runTurn({ key: k, text: 'one' });
    await runner.runTurn({ key: k, text: 'two', model: 'claude-haiku-4-5' });
    expect(pool.stats().misses.changed).toBe(1);
    expect(h.model.requests.at(-1)?.model).toBe('claude-haiku-4-5');
    expect(lastUserTexts()).toEqual(['one', 'two']);
  });

  it('a child that died while idle is not used: the next turn resumes from the store', async () => {
    const { runner, pool } = warmRunner();
    const k = key('died-idle');
    await runner.runTurn({ key: k, text: 'one' });
    const [pid] = pool.pids();
    process.kill(pid!, 'SIGKILL');
    await waitUntil(() => !isRunning(pid!), 5_000, 'the child to exit');
    const next = await runner.runTurn({ key: k, text: 'two' });
    expect(next.is_error).toBe(false);
    expect(lastUserTexts()).toEqual(['one', 'two']);
    // Seen dead at the claim (its exit event arrived) or when the message could not be written to
    // it (then retried in a new process before anything was stored): either way, replaced once.
    const { misses, evictions } = pool.stats();
    expect(misses.dead + evictions.failed).toBe(1);
  });

  it('a child killed mid-turn: retried once in a new process if it stored nothing, never run twice', async () => {
    const store = counting(h.storage);
    const { runner, pool } = warmRunner({ storage: store.storage });
    const k = key('died-mid-turn');
    await runner.runTurn({ key: k, text: 'one' });
    const [pid] = pool.pids();
    h.model.setHandler(replyQueue([delayReply(10_000, textReply('too late'))]));
    const before = h.model.requests.length;
    store.reset();
    const turn = runner.runTurn({ key: k, text: 'two', requestId: 'tg:7' });
    await waitUntil(() => h.model.requests.length > before, 10_000, 'the model request');
    const appendedBeforeKill = store.counts['append'] ?? 0;
    process.kill(pid!, 'SIGKILL');
    const result = await turn;
    expect(pool.stats().evictions.failed).toBe(1);
    const stored = async (): Promise<number> => {
      const entries = await h.storage.transcripts.load({
        projectKey: projectKeyForTenant(k.tenant),
        sessionId: result.session_id,
      });
      return (entries ?? []).filter((e) => e.type === 'user' && JSON.stringify(e).includes('"two"')).length;
    };
    // Which path ran depends on whether the SDK's append of the user message was in flight when
    // the child died (sampling the count before the kill cannot see one in flight).
    if (result.error_code === null) {
      // Nothing of the turn was stored (the SDK had not flushed yet): one retry answered it.
      expect(appendedBeforeKill).toBe(0);
      expect(result.response).not.toContain('too late');
      expect(lastUserTexts()).toEqual(['one', 'two']);
    } else {
      // The SDK had flushed part of the turn: no retry, a clear error, like a crashed one-shot turn.
      expect(result.error_code).toBe('agent_failed');
    }
    expect(await stored()).toBe(1);
    // A re-delivery of the same message never runs it again.
    const requests = h.model.requests.length;
    const again = await runner.runTurn({ key: k, text: 'two', requestId: 'tg:7' });
    expect(again.replayed).toBeDefined();
    expect(h.model.requests.length).toBe(requests);
    expect(await stored()).toBe(1);
  });

  it('an aborted warm turn closes its process; the next turn resumes from the store', async () => {
    const { runner, pool } = warmRunner();
    const k = key('abort');
    await runner.runTurn({ key: k, text: 'one' });
    h.model.setHandler(replyQueue([delayReply(10_000, textReply('too late'))]));
    const abort = new AbortController();
    const before = h.model.requests.length;
    const [pid] = pool.pids();
    const turn = runner.runTurn({ key: k, text: 'stop me', signal: abort.signal });
    await waitUntil(() => h.model.requests.length > before, 10_000, 'the model request');
    abort.abort(new Error('user pressed stop'));
    const stopped = await turn;
    expect(stopped.error_code).toBe('turn_aborted');
    expect(pool.stats().live).toBe(0);
    await waitUntil(() => !isRunning(pid!), 5_000, 'the child to exit');
    const next = await runner.runTurn({ key: k, text: 'two' });
    expect(next.is_error).toBe(false);
    // The stopped message may or may not have been stored before its process ended; never twice.
    const seen = lastUserTexts();
    expect(seen.filter((t) => t !== 'stop me')).toEqual(['one', 'two']);
    expect(seen.filter((t) => t === 'stop me').length).toBeLessThanOrEqual(1);
  });

  it('a repeated request id on a warm conversation is answered from the ledger, not run again', async () => {
    const { runner, pool } = warmRunner();
    const k = key('once');
    await runner.runTurn({ key: k, text: 'one' });
    const first = await runner.runTurn({ key: k, text: 'two', requestId: 'tg:42' });
    const requests = h.model.requests.length;
    const again = await runner.runTurn({ key: k, text: 'two', requestId: 'tg:42' });
    expect(again.replayed).toBe('done');
    expect(again.response).toBe(first.response);
    expect(h.model.requests.length).toBe(requests);
    await runner.runTurn({ key: k, text: 'three' });
    expect(lastUserTexts()).toEqual(['one', 'two', 'three']);
    // The repeat wrote nothing, so the live process stayed current: all later turns were warm.
    expect(pool.stats()).toMatchObject({ hits: 2, misses: { stale: 0 } });
  });

  it('keeps at most `max` live processes, closing the least recently used', async () => {
    const { runner, pool } = warmRunner({ max: 2 });
    await runner.runTurn({ key: key('lru-a'), text: 'a' });
    await runner.runTurn({ key: key('lru-b'), text: 'b' });
    await runner.runTurn({ key: key('lru-a'), text: 'a again' }); // a is now the most recent
    await runner.runTurn({ key: key('lru-c'), text: 'c' }); // closes b
    expect(pool.stats()).toMatchObject({ live: 2, evictions: { lru: 1 } });
    expect(pool.pids()).toHaveLength(2);
    await runner.runTurn({ key: key('lru-a'), text: 'a third time' });
    expect(pool.stats().hits).toBe(2);
  });

  it('closes a process after the idle time, and none is left after close()', async () => {
    const { runner, pool } = warmRunner({ idleMs: 1_000 });
    await runner.runTurn({ key: key('idle'), text: 'hello' });
    const [idlePid] = pool.pids();
    expect(isRunning(idlePid!)).toBe(true);
    await waitUntil(() => pool.stats().evictions.idle === 1, 5_000, 'idle eviction');
    await waitUntil(() => !isRunning(idlePid!), 5_000, 'the child to exit');

    const other = warmRunner();
    await Promise.all([
      other.runner.runTurn({ key: key('close-a'), text: 'a' }),
      other.runner.runTurn({ key: key('close-b'), text: 'b' }),
    ]);
    const pids = other.pool.pids();
    expect(pids).toHaveLength(2);
    expect(liveClaudeProcesses()).toEqual(expect.arrayContaining(pids));
    other.pool.close();
    await waitUntil(() => pids.every((pid) => !isRunning(pid)), 5_000, 'every child to exit');
  });

  it('a new conversation takes the spare started ahead; another is started for the next one', async () => {
    const { runner, pool } = warmRunner({ spares: true });
    await runner.prewarm?.('default');
    await waitUntil(() => pool.stats().spares === 1, 30_000, 'a ready spare');
    const [sparePid] = pool.pids();

    const k = key('spare');
    const first = await runner.runTurn({ key: k, text: 'first words', requestId: 'tg:900' });
    expect(first.is_error).toBe(false);
    expect(pool.stats()).toMatchObject({ spareHits: 1, live: 1 });
    expect(lastUserTexts()).toEqual(['first words']);
    expect(pool.pids()).toContain(sparePid); // the spare's child now serves the conversation
    const second = await runner.runTurn({ key: k, text: 'second words' });
    expect(second.session_id).toBe(first.session_id);
    expect(pool.stats().hits).toBe(1);
    expect(lastUserTexts()).toEqual(['first words', 'second words']);
    // Stored like any other session: a one-shot process resumes it.
    await h.runner.runTurn({ key: k, text: 'cold words' });
    expect(lastUserTexts()).toEqual(['first words', 'second words', 'cold words']);

    // The next new conversation finds another spare; one with another model does not take it.
    await waitUntil(() => pool.stats().spares === 1, 30_000, 'the next spare');
    await runner.runTurn({ key: key('spare-haiku'), text: 'hi', model: 'claude-haiku-4-5' });
    expect(pool.stats()).toMatchObject({ spareHits: 1, spares: 1 });
    const pids = pool.pids();
    pool.close();
    await waitUntil(() => pids.every((pid) => !isRunning(pid)), 5_000, 'every child and spare to exit');
  });

  it('closing the pool while a spare is still starting leaves no process behind', async () => {
    const { runner, pool } = warmRunner({ spares: true });
    const before = new Set(liveClaudeProcesses());
    await runner.prewarm?.('default');
    let started: number[] = [];
    await waitUntil(
      () => (started = liveClaudeProcesses().filter((pid) => !before.has(pid))).length > 0,
      10_000,
      'the spare to spawn',
    );
    expect(pool.stats().spares).toBe(0); // still starting
    pool.close();
    await waitUntil(() => started.every((pid) => !isRunning(pid)), 5_000, 'the starting spare to exit');
  });
});
