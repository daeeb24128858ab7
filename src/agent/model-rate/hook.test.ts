import type { HookCallback, HookInput } from '@anthropic-ai/claude-agent-sdk';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import { silentLogger } from '../../core/logger.js';
import { createMemoryClaimStore } from '../../schedules/store/index.js';
import type { ModelRateLimitedError } from './errors.js';
import { createModelRateGate, type RateTurn } from './hook.js';
import { createModelRateLimiter, MODEL_RATE_KEY_PREFIX } from './limiter.js';

const TENANT = 'acme' as TenantId;
const WINDOW = 10_000;

/** The gate on the real limiter and memory claims, a manual clock whose sleeps move it. */
function world(maxWaitMs = 60_000) {
  const clock = new ManualClock(Date.UTC(2026, 11, 2, 12, 0, 0));
  const claims = createMemoryClaimStore({ clock });
  const limiter = createModelRateLimiter({
    counter: claims,
    windowMs: WINDOW,
    maxWaitMs,
    jitterMs: 0,
    clock,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      clock.advance(ms);
    },
  });
  const gate = createModelRateGate(limiter, silentLogger);
  const matcher = gate.hooks().PreToolUse?.[0];
  const hook = matcher?.hooks[0] as HookCallback;
  const call = (sessionId: string, signal = new AbortController().signal) =>
    hook(preToolUse(sessionId), 'toolu_1', { signal });
  const used = async () => {
    const key = `${MODEL_RATE_KEY_PREFIX}${clock.now() - (clock.now() % WINDOW)}`;
    // Whether a 7th slot of the window is free: the gate's slots are counted in the store.
    return (await claims.increment(TENANT, key, 7, 2 * WINDOW)) ? 'room' : 'full';
  };
  return { gate, matcher, call, clock, used };
}

function preToolUse(sessionId: string): HookInput {
  return {
    hook_event_name: 'PreToolUse',
    session_id: sessionId,
    transcript_path: '/dev/null',
    cwd: '/',
    tool_name: 'Read',
    tool_input: { file_path: '/etc/hostname' },
    tool_use_id: 'toolu_1',
  } as HookInput;
}

function turn(overrides: Partial<RateTurn> = {}): RateTurn & { limited: ModelRateLimitedError[] } {
  const limited: ModelRateLimitedError[] = [];
  return {
    tenant: TENANT,
    perMinute: () => 36, // 6 a 10 s window
    signal: new AbortController().signal,
    onLimited: (err) => limited.push(err),
    limited,
    ...overrides,
  };
}

describe('model request budget (PreToolUse hook)', () => {
  it('waits longer than the longest wait before the binary gives up on it', () => {
    expect(world(300_000).matcher?.timeout).toBe(360);
  });

  it('takes one slot per tool call of a registered turn with a budget, and lets the call go', async () => {
    const { gate, call, used } = world();
    const end = gate.begin('s1', turn());
    for (let i = 0; i < 6; i++) expect(await call('s1')).toEqual({});
    expect(await used()).toBe('room'); // the 7th: 6 taken by the hook
    expect(await used()).toBe('full');
    end();
  });

  it('lets calls of unknown sessions and of tenants without a budget through uncounted', async () => {
    const { gate, call, used } = world();
    expect(await call('nobody')).toEqual({});
    gate.begin('s2', turn({ perMinute: () => undefined }));
    expect(await call('s2')).toEqual({});
    for (let i = 0; i < 6; i++) expect(await used()).toBe('room');
  });

  it('waits for the next window while the window is full, and reports the wait', async () => {
    const { gate, call, clock } = world();
    const waits: number[] = [];
    gate.begin('s3', turn({ onWait: (w) => waits.push(w.waitMs) }));
    const start = clock.now();
    for (let i = 0; i < 6; i++) await call('s3');
    expect(await call('s3')).toEqual({});
    expect(waits).toEqual([WINDOW]);
    expect(clock.now() - start).toBe(WINDOW);
  });

  it('past the maximum wait: refuses the call, stops the binary and tells the turn', async () => {
    const { gate, call } = world(1_000);
    const t = turn();
    gate.begin('s4', t);
    for (let i = 0; i < 6; i++) await call('s4');
    const out = await call('s4');
    expect(out).toMatchObject({
      continue: false,
      hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny' },
    });
    expect(t.limited).toHaveLength(1);
    expect(t.limited[0]?.code).toBe('model_rate_limited');
  });

  it('a stopped turn ends its wait: the call is refused, the turn is not marked limited', async () => {
    const { gate, call } = world();
    const stop = new AbortController();
    const t = turn({ signal: stop.signal });
    gate.begin('s5', t);
    for (let i = 0; i < 6; i++) await call('s5');
    stop.abort(new Error('stopped by request'));
    expect(await call('s5')).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny' } });
    expect(t.limited).toEqual([]);
  });

  it('forgets a turn once it ended (a later turn of the session registers its own)', async () => {
    const { gate, call, used } = world();
    const end = gate.begin('s6', turn());
    end();
    expect(await call('s6')).toEqual({});
    for (let i = 0; i < 7; i++) expect(await used()).toBe('room');
  });
});
