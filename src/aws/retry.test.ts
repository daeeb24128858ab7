import type { RetryErrorInfo, RetryToken } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { createRetryStrategy, RETRY_POLICY, type RetryPolicy } from './retry.js';

/** A clock the test moves, and jitter fixed at its maximum (so waits are the cap). */
function harness(policy: Partial<RetryPolicy> = {}, random = () => 0.999_999) {
  let t = 1_000_000;
  const strategy = createRetryStrategy({ ...RETRY_POLICY, ...policy }, { now: () => t, random });
  return {
    strategy,
    advance: (ms: number) => (t += ms),
    now: () => t,
  };
}

const transient: RetryErrorInfo = { errorType: 'TRANSIENT' };
const throttling: RetryErrorInfo = { errorType: 'THROTTLING' };

/** Play one call whose first `faults` attempts fail; returns its attempts and whether it succeeded. */
async function playCall(
  h: ReturnType<typeof harness>,
  faults: number,
  info: RetryErrorInfo = transient,
): Promise<{ attempts: number; ok: boolean; waited: number }> {
  let token: RetryToken = await h.strategy.acquireInitialRetryToken('');
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    if (attempt > faults) {
      h.strategy.recordSuccess(token);
      return { attempts: attempt, ok: true, waited };
    }
    try {
      token = await h.strategy.refreshRetryTokenForRetry(token, info);
    } catch {
      return { attempts: attempt, ok: false, waited };
    }
    waited += token.getRetryDelay();
    h.advance(token.getRetryDelay());
  }
}

describe('the shared AWS retry policy', () => {
  it('retries throttling and transient faults up to maxAttempts, nothing else', async () => {
    const h = harness();
    expect(await playCall(h, 3)).toMatchObject({ attempts: 4, ok: true });
    expect(await playCall(h, 10)).toMatchObject({ attempts: 4, ok: false });
    expect(await playCall(h, 1, { errorType: 'CLIENT_ERROR' })).toMatchObject({ attempts: 1, ok: false });
    expect(await playCall(h, 1, { errorType: 'SERVER_ERROR' })).toMatchObject({ attempts: 1, ok: false });
    expect(h.strategy.stats).toEqual({
      retries: 6,
      refusedNotRetryable: 2,
      refusedAttempts: 1,
      refusedTime: 0,
      refusedQuota: 0,
    });
  });

  it('waits exponentially with full jitter, longer after throttling, capped per wait', async () => {
    const h = harness({ maxDelayMs: 1_500 });
    const waits = async (info: RetryErrorInfo) => {
      let token = await h.strategy.acquireInitialRetryToken('');
      const out: number[] = [];
      for (let i = 0; i < 3; i++) {
        token = await h.strategy.refreshRetryTokenForRetry(token, info);
        out.push(token.getRetryDelay());
      }
      return out;
    };
    expect(await waits(transient)).toEqual([99, 199, 399]);
    expect(await waits(throttling)).toEqual([499, 999, 1_499]);
    const low = harness({}, () => 0);
    const token = await low.strategy.refreshRetryTokenForRetry(
      await low.strategy.acquireInitialRetryToken(''),
      transient,
    );
    expect(token.getRetryDelay()).toBe(0); // full jitter: anywhere from 0
  });

  it('honours a Retry-After hint, up to the longest wait', async () => {
    const h = harness({ maxDelayMs: 2_000 }, () => 0);
    const first = await h.strategy.acquireInitialRetryToken('');
    const soon = await h.strategy.refreshRetryTokenForRetry(first, {
      ...throttling,
      retryAfterHint: new Date(h.now() + 700),
    });
    expect(soon.getRetryDelay()).toBe(700);
    const late = await h.strategy.refreshRetryTokenForRetry(first, {
      ...throttling,
      retryAfterHint: new Date(h.now() + 60_000),
    });
    expect(late.getRetryDelay()).toBe(2_000);
  });

  it('starts no retry after maxElapsedMs since the first attempt (slow attempts count)', async () => {
    const h = harness({ maxElapsedMs: 5_000 });
    let token = await h.strategy.acquireInitialRetryToken('');
    h.advance(3_000); // a slow first attempt
    token = await h.strategy.refreshRetryTokenForRetry(token, transient);
    h.advance(token.getRetryDelay() + 1_900); // waited, then another slow attempt: 4 999 ms in
    await expect(h.strategy.refreshRetryTokenForRetry(token, transient)).rejects.toThrow(/5000 ms/);
    expect(h.strategy.stats.refusedTime).toBe(1);
  });

  it('bounds an outage by the quota: a burst, then refillPerSecond retries a second', async () => {
    const h = harness({ quota: { burst: 10, refillPerSecond: 2 } }, () => 0); // no waits: no time passes
    let retries = 0;
    for (let i = 0; i < 20; i++) retries += (await playCall(h, 99)).attempts - 1;
    expect(retries).toBe(10); // 3 + 3 + 3 + 1, then every call fails on its first error
    expect(h.strategy.stats.refusedQuota).toBeGreaterThan(0);
    expect(h.strategy.quotaLeft()).toBe(0);
    h.advance(1_000);
    expect(h.strategy.quotaLeft()).toBe(2);
    h.advance(60_000);
    expect(h.strategy.quotaLeft()).toBe(10); // never above the burst
  });

  it('does not starve after a long fault period: 1 h at 20 % faults and 20 calls/s keeps every retry', async () => {
    // Deterministic "random" faults: a linear congruential sequence.
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const h = harness({}, () => 0.5);
    let failedCalls = 0;
    for (let call = 0; call < 20 * 3_600; call++) {
      let faults = 0;
      while (faults < 4 && next() < 0.2) faults++;
      const result = await playCall(h, faults);
      if (!result.ok && faults < 4) failedCalls++;
      h.advance(50);
    }
    expect(failedCalls).toBe(0);
    expect(h.strategy.stats.refusedQuota).toBe(0);
    expect(h.strategy.stats.retries).toBeGreaterThan(15_000);
  });
});
