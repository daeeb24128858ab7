import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

/**
 * The one retry policy of every AWS client we build (S3, DynamoDB, SQS, SSM).
 *
 * Per call it is bounded like the SDK's standard mode: at most `maxAttempts` attempts, only
 * throttling and transient faults (5xx, resets, timeouts) are retried, waits are exponential with
 * full jitter, a `Retry-After` hint is honoured up to `maxDelayMs`, and no retry starts later than
 * `maxElapsedMs` after the first attempt — so a call's worst case (~10 s) fits well inside a turn.
 *
 * What differs is the client-wide retry quota. The SDK's bucket (500 tokens, 14 per transient
 * retry, 5 per throttling retry) refills only through successes (1 token each), so a sustained
 * fault period drains it after ~35–100 retries and the client then fails every call on its first
 * error until enough successes come back (docs/reliability.md, finding 3). Ours counts retries and
 * refills with time: a burst of `quota.burst` retries, then `quota.refillPerSecond` retries a
 * second. Its job stays the same — a long outage never multiplies the load on a service by the
 * attempt count — but a long period of partial faults at a normal request rate never starves it.
 */
export interface RetryPolicy {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  /** Backoff base for transient faults; the n-th retry waits random(0, min(maxDelayMs, base · 2^(n-1))). */
  baseDelayMs: number;
  /** Backoff base after a throttling error (the service asked us to slow down). */
  throttlingBaseDelayMs: number;
  /** Longest single wait, a `Retry-After` hint included. */
  maxDelayMs: number;
  /** No retry starts more than this after the call's first attempt (its waits and attempts included). */
  maxElapsedMs: number;
  /** Client-wide retry quota in retries: a bucket of `burst`, refilled at `refillPerSecond`. */
  quota: { burst: number; refillPerSecond: number };
}

/**
 * Sized for a worker: a turn makes ~10–25 storage calls, at 20 % faults ~2–5 retries; 10 retries/s
 * sustain ~50 calls/s at that fault rate per client, and an outage costs a service at most 1.2×
 * its request rate above ~50 calls/s (plus one burst).
 */
export const RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 5_000,
  maxElapsedMs: 10_000,
  quota: { burst: 100, refillPerSecond: 10 },
};

/** What a strategy decided so far (live counters; the reliability suite prints them). */
export interface RetryStats {
  retries: number;
  refusedNotRetryable: number;
  refusedAttempts: number;
  refusedTime: number;
  refusedQuota: number;
}

export interface PolicyRetryStrategy extends RetryStrategyV2 {
  readonly policy: RetryPolicy;
  readonly stats: Readonly<RetryStats>;
  /** Retries the quota would grant now. */
  quotaLeft(): number;
}

export interface RetryStrategyDeps {
  /** Milliseconds clock (default `Date.now`). */
  now?: () => number;
  /** Uniform [0, 1) (default `Math.random`): the jitter. */
  random?: () => number;
}

class PolicyToken implements RetryToken {
  constructor(
    private readonly count: number,
    private readonly delay: number,
    readonly startedAt: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

const RETRYABLE = new Set<RetryErrorInfo['errorType']>(['THROTTLING', 'TRANSIENT']);

/** A retry strategy for one client (`retryStrategy` in its config); the SDK waits `getRetryDelay()` ms. */
export function createRetryStrategy(
  policy: RetryPolicy = RETRY_POLICY,
  deps: RetryStrategyDeps = {},
): PolicyRetryStrategy {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const stats: RetryStats = {
    retries: 0,
    refusedNotRetryable: 0,
    refusedAttempts: 0,
    refusedTime: 0,
    refusedQuota: 0,
  };
  let tokens = policy.quota.burst;
  let refilledAt = now();

  const refill = (): number => {
    const at = now();
    tokens = Math.min(policy.quota.burst, tokens + ((at - refilledAt) / 1000) * policy.quota.refillPerSecond);
    refilledAt = at;
    return tokens;
  };

  const refuse = (reason: keyof RetryStats, why: string): never => {
    stats[reason]++;
    // The SDK rethrows the call's own error; this one only says why there was no retry.
    throw new Error(`[aws:retry] not retried: ${why}`);
  };

  const backoff = (retry: number, info: RetryErrorInfo): number => {
    const base = info.errorType === 'THROTTLING' ? policy.throttlingBaseDelayMs : policy.baseDelayMs;
    let delay = Math.floor(random() * Math.min(policy.maxDelayMs, base * 2 ** retry));
    if (info.retryAfterHint instanceof Date) {
      delay = Math.max(delay, Math.min(policy.maxDelayMs, info.retryAfterHint.getTime() - now()));
    }
    return delay;
  };

  return {
    policy,
    stats,
    quotaLeft: () => Math.floor(refill()),
    async acquireInitialRetryToken() {
      return new PolicyToken(0, 0, now());
    },
    async refreshRetryTokenForRetry(token, info) {
      const retry = token.getRetryCount();
      const startedAt = token instanceof PolicyToken ? token.startedAt : now();
      if (!RETRYABLE.has(info.errorType)) return refuse('refusedNotRetryable', info.errorType);
      if (retry + 1 >= policy.maxAttempts) return refuse('refusedAttempts', `${policy.maxAttempts} attempts`);
      const delay = backoff(retry, info);
      if (now() + delay - startedAt > policy.maxElapsedMs) {
        return refuse('refusedTime', `${policy.maxElapsedMs} ms since the first attempt`);
      }
      if (refill() < 1) return refuse('refusedQuota', 'retry quota spent');
      tokens -= 1;
      stats.retries++;
      return new PolicyToken(retry + 1, delay, startedAt);
    },
    recordSuccess() {
      // The quota refills with time, not with successes (see above).
    },
  };
}
