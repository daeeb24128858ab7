import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { createMemoryClaimStore } from '../../schedules/store/index.js';
import { ModelRateLimitedError } from './errors.js';
import {
  createModelRateLimiter,
  MODEL_RATE_KEY_PREFIX,
  perWindowLimit,
  type ModelRateLimiterOptions,
  type WindowCounter,
} from './limiter.js';

const A = 'acme' as TenantId;
const B = 'globex' as TenantId;
const WINDOW = 10_000;
/** 6 a minute = 1 per 10 s window; 30 a minute = 5 per window. */
const FIVE_PER_WINDOW = 30;

/**
 * The limiter on the real memory claim store and a manual clock: a sleep moves the clock (or ends
 * at once when the signal aborts), so every wait is measured in clock time, never slept.
 */
function world(overrides: Partial<ModelRateLimiterOptions> = {}) {
  // A window boundary, so each test starts at the beginning of a window.
  const clock = new ManualClock(Date.UTC(2026, 11, 2, 12, 0, 0));
  const claims = createMemoryClaimStore({ clock });
  const sleeps: number[] = [];
  const limiter = createModelRateLimiter({
    counter: claims,
    windowMs: WINDOW,
    maxWaitMs: 35_000,
    jitterMs: 100,
    random: () => 0.5,
    clock,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      clock.advance(ms);
    },
    ...overrides,
  });
  return { clock, claims, limiter, sleeps };
}

describe('model request budget (limiter)', () => {
  it('scales the per-minute budget to the window, never below one', () => {
    expect(perWindowLimit(600, 60_000)).toBe(600);
    expect(perWindowLimit(48, 5_000)).toBe(4);
    expect(perWindowLimit(1, 5_000)).toBe(1);
  });

  it('counts requests per tenant and window in the shared store', async () => {
    const { claims, limiter, clock } = world();
    for (let i = 0; i < 5; i++) {
      expect(await limiter.take(A, FIVE_PER_WINDOW)).toEqual({ waitedMs: 0, uncounted: false });
    }
    // The counter is the store's: the window is full for anyone who asks it directly too.
    const key = `${MODEL_RATE_KEY_PREFIX}${clock.now()}`;
    expect(await claims.increment(A, key, 5, 20_000)).toBe(false);
    // Another tenant's window is its own.
    expect(await limiter.take(B, FIVE_PER_WINDOW)).toEqual({ waitedMs: 0, uncounted: false });
  });

  it('waits into the next window when the window is full, and says so', async () => {
    const { limiter, clock, sleeps } = world();
    const start = clock.now();
    clock.advance(4_000);
    for (let i = 0; i < 5; i++) await limiter.take(A, FIVE_PER_WINDOW);
    const waits: number[] = [];
    const slot = await limiter.take(A, FIVE_PER_WINDOW, { onWait: (w) => waits.push(w.waitMs) });
    // 6 s to the window's end plus the jitter (0.5 × 100 ms).
    expect(waits).toEqual([6_050]);
    expect(sleeps).toEqual([6_050]);
    expect(slot).toEqual({ waitedMs: 6_050, uncounted: false });
    expect(clock.now() - start).toBe(10_050);
  });

  it('keeps waiting window after window while others take the slots', async () => {
    const { limiter, claims, clock } = world({
      sleep: async (ms) => {
        clock.advance(ms);
        // Another container wakes first and takes the whole new window, twice.
        if (competitor-- <= 0) return;
        const now = clock.now();
        const key = `${MODEL_RATE_KEY_PREFIX}${now - (now % WINDOW)}`;
        for (let i = 0; i < 5; i++) await claims.increment(A, key, 5, 2 * WINDOW);
      },
    });
    let competitor = 2;
    for (let i = 0; i < 5; i++) await limiter.take(A, FIVE_PER_WINDOW);
    const waits: number[] = [];
    const slot = await limiter.take(A, FIVE_PER_WINDOW, { onWait: (w) => waits.push(w.waitMs) });
    expect(waits).toEqual([10_050, 10_000, 10_000]);
    expect(slot.waitedMs).toBe(30_050);
  });

  it('fails with model_rate_limited past the maximum wait, without waiting for nothing', async () => {
    const { limiter, sleeps } = world({ maxWaitMs: 5_000 });
    for (let i = 0; i < 5; i++) await limiter.take(A, FIVE_PER_WINDOW);
    const failed = limiter.take(A, FIVE_PER_WINDOW);
    await expect(failed).rejects.toBeInstanceOf(ModelRateLimitedError);
    await expect(failed).rejects.toMatchObject({ code: 'model_rate_limited', status: 429 });
    // The next window begins after the maximum wait: no sleep at all.
    expect(sleeps).toEqual([]);
  });

  it('ends a wait at once when the signal aborts, with its reason', async () => {
    // The real timer this time, on a clock held at a window's start: the wait would be 10 s.
    const clock = new ManualClock(Date.UTC(2026, 11, 2, 12, 0, 0));
    const claims = createMemoryClaimStore({ clock });
    const limiter = createModelRateLimiter({ counter: claims, windowMs: WINDOW, maxWaitMs: 60_000, clock });
    for (let i = 0; i < 5; i++) await limiter.take(A, FIVE_PER_WINDOW);
    const stop = new AbortController();
    const began = Date.now();
    const waiting = limiter.take(A, FIVE_PER_WINDOW, { signal: stop.signal });
    setTimeout(() => stop.abort(new Error('stopped by request')), 20);
    await expect(waiting).rejects.toThrow('stopped by request');
    // Generous bound: it ended with the abort, not with the window 10 s later.
    expect(Date.now() - began).toBeLessThan(2_000);
    // An already aborted signal never counts: B's only slot (6 a minute = 1 a window) is still free.
    const gone = AbortSignal.abort(new Error('gone'));
    await expect(limiter.take(B, 6, { signal: gone })).rejects.toThrow('gone');
    expect(await limiter.take(B, 6)).toEqual({ waitedMs: 0, uncounted: false });
  });

  it('fails open when the store fails: logged once, requests go ahead uncounted', async () => {
    const lines: Array<[string, string]> = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (msg) => lines.push(['warn', msg]),
      info: (msg) => lines.push(['info', msg]),
      child: () => logger,
    };
    let down = true;
    const claims = createMemoryClaimStore();
    const counter: WindowCounter = {
      increment: (...args) => (down ? Promise.reject(new Error('table gone')) : claims.increment(...args)),
    };
    const { limiter } = world({ counter, logger });
    for (let i = 0; i < 8; i++)
      expect(await limiter.take(A, FIVE_PER_WINDOW)).toEqual({ waitedMs: 0, uncounted: true });
    expect(lines).toEqual([['warn', 'model request budget: the store failed; requests go ahead uncounted']]);
    down = false;
    expect(await limiter.take(A, FIVE_PER_WINDOW)).toEqual({ waitedMs: 0, uncounted: false });
    expect(lines.at(-1)).toEqual(['info', 'model request budget: the store answers again']);
  });
});
