import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import type { AgentRunner, TurnEvent, TurnResult } from '../../src/agent/types.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { delayReply, replyQueue, textReply, userTexts } from '../../src/model/index.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { waitUntil } from '../support/child-processes.js';

/**
 * Live turns end to end (real binary, offline model, SQLite): the runner streams what happens as
 * `TurnEvent`s, and a stop requested on the lease from another handle interrupts the turn, which
 * ends as `turn_stopped` and leaves a conversation the next turn continues normally.
 */
let h: AgentHarness;
const pools: WarmPool[] = [];

beforeAll(async () => {
  h = await startAgentHarness({
    ...PLAIN_PROFILE,
    tools: { allowedTools: ['Bash'], disallowedTools: [], permissionMode: 'default' },
  });
});
afterEach(() => {
  for (const pool of pools.splice(0)) pool.close();
  h.model.setHandler(replyQueue([]));
});
afterAll(async () => {
  await h?.close();
});

const key = (chat: string): ConversationKey => conversationKey({ tenant: 'default', chat });

/** A runner whose turns run in live processes (`warm`) or one-shot processes (`cold`). */
function runner(path: 'warm' | 'cold'): AgentRunner {
  if (path === 'cold') return h.runnerWith({ stopPollMs: 100 });
  const pool = createWarmPool({ max: 4, idleMs: 60_000, logger: silentLogger });
  pools.push(pool);
  return h.runnerWith({ warm: pool, stopPollMs: 100 });
}

/** The pool of the last warm runner. */
const lastPool = (): WarmPool | undefined => pools.at(-1);

async function turn(
  r: AgentRunner,
  k: ConversationKey,
  text: string,
): Promise<{ result: TurnResult; events: TurnEvent[] }> {
  const events: TurnEvent[] = [];
  const result = await r.runTurn({ key: k, text, onEvent: (e) => events.push(e) });
  return { result, events };
}

describe.each(['warm', 'cold'] as const)('live turns, %s path', (path) => {
  it('streams the answer and each tool call as it happens', async () => {
    const r = runner(path);
    const k = key(`events-${path}`);
    const { result, events } = await turn(r, k, 'call tool Bash {"command":"echo live-events"}');
    expect(result.is_error).toBe(false);
    const started = events[0];
    expect(started?.type).toBe('turn_started');
    const starts = events.filter((e) => e.type === 'tool_start');
    expect(starts).toEqual([
      expect.objectContaining({
        type: 'tool_start',
        name: 'Bash',
        summary: 'echo live-events',
        parentId: null,
      }),
    ]);
    const startId = starts[0]?.type === 'tool_start' ? starts[0].id : '';
    expect(events).toContainEqual({ type: 'tool_end', id: startId, isError: false });
    // The tool ends before the answer that quotes its output is streamed.
    const endAt = events.findIndex((e) => e.type === 'tool_end');
    const deltas = events.flatMap((e, i) => (e.type === 'text' && i > endAt ? [e.delta] : []));
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.join('')).toContain(result.response.trim());
    expect(result.response).toContain('live-events');
  });

  it('a stop requested from another handle interrupts the turn; the next turn continues the session', async () => {
    const r = runner(path);
    const k = key(`stop-${path}`);
    await turn(r, k, 'first message');
    // The model takes 20 s to answer the second message: only a stop ends the turn sooner.
    h.model.setHandler(replyQueue([delayReply(20_000, textReply('too late'))]));
    const events: TurnEvent[] = [];
    const running = r.runTurn({ key: k, text: 'second message', onEvent: (e) => events.push(e) });
    await waitUntil(() => events.some((e) => e.type === 'turn_started'), 10_000);
    await waitUntil(
      () => h.model.requests.length > 0 && userTexts(h.model.requests.at(-1)!).includes('second message'),
      10_000,
    );
    const turnId = events[0]?.type === 'turn_started' ? events[0].turn : 0;
    const asked = Date.now();
    await expect(h.storage.leases.requestStop(k, { turn: turnId })).resolves.toEqual({
      stopping: true,
      turn: turnId,
    });
    const result = await running;
    const stopMs = Date.now() - asked;
    expect(result).toMatchObject({ is_error: true, error_code: 'turn_stopped' });
    expect(stopMs).toBeLessThan(10_000);
    // Nothing runs any more: a stop now finds nothing.
    await expect(h.storage.leases.requestStop(k)).resolves.toEqual({ stopping: false });
    h.model.setHandler(replyQueue([]));
    const next = await turn(r, k, 'third message');
    expect(next.result.is_error).toBe(false);
    if (path === 'warm') {
      // The interrupted turn left the live process consistent: it took the next turn too.
      expect(lastPool()?.stats()).toMatchObject({ hits: 2, evictions: { failed: 0 } });
    }
    expect(next.result.session_id).toBe(result.session_id);
    // The stopped message stays in the history (the binary may join it with the next one, as no
    // answer came between them); each message is seen once, in order.
    const seen = userTexts(h.model.requests.at(-1)!).join('\n');
    expect(seen).toMatch(/first message[\s\S]*second message[\s\S]*third message/);
    for (const text of ['first message', 'second message', 'third message']) {
      expect(seen.split(text)).toHaveLength(2);
    }
  });
});

describe('messages merged into one turn (busy conversation)', () => {
  it('reach the agent in order in one turn; a re-delivery of a merged message runs nothing', async () => {
    const r = runner('warm');
    const k = key('merged');
    const before = h.model.requests.length;
    const result = await r.runTurn({
      key: k,
      text: 'alpha',
      requestId: 'tg:10',
      merged: [
        { text: 'beta', requestId: 'tg:11' },
        { text: 'gamma', requestId: 'tg:12' },
      ],
    });
    expect(result.is_error).toBe(false);
    expect(h.model.requests.length).toBe(before + 1);
    // One user message, each text verbatim and in order.
    expect(userTexts(h.model.requests.at(-1)!).join('\n')).toBe('alpha\nbeta\ngamma');
    for (const requestId of ['tg:11', 'tg:12']) {
      const repeat = await r.runTurn({ key: k, text: 'beta', requestId });
      expect(repeat).toMatchObject({ replayed: 'done', delivered: true, is_error: false, response: '' });
    }
    expect(h.model.requests.length).toBe(before + 1);
  });

  it('a merged message runs on its own when the turn it was merged into was run again without it', async () => {
    const r = runner('cold');
    const k = key('merged-rerun');
    const first = await r.runTurn({
      key: k,
      text: 'one',
      requestId: 'tg:20',
      merged: [{ text: 'two', requestId: 'tg:21' }],
    });
    // A re-delivery ran tg:20 again on its own (its record begun anew, a later attempt).
    await new Promise((resolve) => setTimeout(resolve, 5));
    await h.storage.turns.begin(k, 'tg:20' as never, {
      sessionId: first.session_id as never,
      entriesBefore: 0,
      turnsBefore: 0,
    });
    const before = h.model.requests.length;
    const own = await r.runTurn({ key: k, text: 'two', requestId: 'tg:21' });
    expect(own.replayed).toBeUndefined();
    expect(h.model.requests.length).toBe(before + 1);
    expect(userTexts(h.model.requests.at(-1)!).at(-1)).toBe('two');
  });
});
