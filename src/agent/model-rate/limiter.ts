import { setTimeout as delay } from 'node:timers/promises';
import { systemClock, type Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ClaimStore } from '../../schedules/claims.js';
import { ModelRateLimitedError } from './errors.js';

/** What the limiter needs of the shared store: a conditional counter per (tenant, key) (`ClaimStore.increment`). */
export type WindowCounter = Pick<ClaimStore, 'increment'>;

/** The budget's window in production: the provider's limits are per minute. */
export const MODEL_RATE_WINDOW_MS = 60_000;
/** Longest a model request waits for its tenant's capacity before the turn fails (`model_rate_limited`). */
export const MODEL_RATE_MAX_WAIT_MS = 5 * 60_000;
/** Claim keys of the counters: `modelrpm#<window start, epoch ms>`. */
export const MODEL_RATE_KEY_PREFIX = 'modelrpm#';

export interface ModelRateLimiterOptions {
  /** The store every container shares (the storage's claims: SQLite file or DynamoDB table). */
  counter: WindowCounter;
  /** Length of a counting window (default 60 s; tests use a few seconds). */
  windowMs?: number;
  /** Longest total wait for one slot (default 5 min); past it `take` throws `ModelRateLimitedError`. */
  maxWaitMs?: number;
  /** Waiters wake at the next window's start plus a random 0…jitterMs (default 500 ms, ≤ window/10). */
  jitterMs?: number;
  clock?: Clock;
  /** Waits `ms` or until `signal` aborts (then rejects). Default: a timer. Tests pass a clock-moving one. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** 0 ≤ x < 1 (default Math.random). */
  random?: () => number;
  logger?: Logger;
}

/** What `take` reports while it waits (the turn shows it: "waiting for model capacity"). */
export interface ModelRateWait {
  /** How long until the next try. */
  waitMs: number;
  /** The tenant's limit per window that was full. */
  limit: number;
}

export interface TakeOptions {
  /** Ends a wait at once (`/stop`, the turn's timeout): `take` then rejects with the signal's reason. */
  signal?: AbortSignal;
  onWait?: (wait: ModelRateWait) => void;
}

export interface TakenSlot {
  /** Time spent waiting for capacity (0 when the window had room). */
  waitedMs: number;
  /** True when the store failed and the request went ahead uncounted (fail open). */
  uncounted: boolean;
}

/**
 * A tenant's model-request budget shared by every container: a fixed-window counter per tenant in
 * the claims store (`modelrpm#<window start>`, one conditional write per request). A request takes
 * one slot of the current window; when the window is full it waits for the next one (plus jitter)
 * and tries again, at most `maxWaitMs` in all. A store failure lets the request through (logged
 * once until the store answers again), like the Telegram send budget: the provider's own 429s and
 * the binary's retries remain the backstop.
 */
export interface ModelRateLimiter {
  readonly windowMs: number;
  /** Longest total wait for one slot. */
  readonly maxWaitMs: number;
  /** Takes one of `tenant`'s slots (`perMinute` requests a minute, scaled to the window). */
  take(tenant: TenantId, perMinute: number, options?: TakeOptions): Promise<TakenSlot>;
}

/** The limit per window of a per-minute budget (at least 1: a window never refuses everything). */
export function perWindowLimit(perMinute: number, windowMs: number): number {
  return Math.max(1, Math.floor((perMinute * windowMs) / 60_000));
}

export function createModelRateLimiter(options: ModelRateLimiterOptions): ModelRateLimiter {
  const windowMs = options.windowMs ?? MODEL_RATE_WINDOW_MS;
  const maxWaitMs = options.maxWaitMs ?? MODEL_RATE_MAX_WAIT_MS;
  const jitterMs = Math.min(options.jitterMs ?? 500, windowMs / 10);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? timerSleep;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  if (!(Number.isSafeInteger(windowMs) && windowMs >= 1000)) {
    throw new RangeError(`[agent:model-rate] windowMs must be a whole number ≥ 1000, got ${windowMs}`);
  }
  // Counters outlive their window by one more, so a late writer never restarts a passed window.
  const ttlMs = 2 * windowMs;
  let failing = false;

  /** One counted request in the window starting at `start`; `undefined` when the store failed. */
  async function count(tenant: TenantId, start: number, limit: number): Promise<boolean | undefined> {
    try {
      const counted = await options.counter.increment(
        tenant,
        `${MODEL_RATE_KEY_PREFIX}${start}`,
        limit,
        ttlMs,
      );
      if (failing) logger.info('model request budget: the store answers again');
      failing = false;
      return counted;
    } catch (err) {
      if (!failing) {
        logger.warn('model request budget: the store failed; requests go ahead uncounted', {
          tenant,
          error: errorMessage(err),
        });
      }
      failing = true;
      return undefined;
    }
  }

  return {
    windowMs,
    maxWaitMs,
    async take(tenant, perMinute, takeOptions = {}) {
      const { signal, onWait } = takeOptions;
      const limit = perWindowLimit(perMinute, windowMs);
      const started = clock.now();
      for (;;) {
        signal?.throwIfAborted();
        const now = clock.now();
        const start = now - (now % windowMs);
        const counted = await count(tenant, start, limit);
        if (counted !== false) return { waitedMs: clock.now() - started, uncounted: counted === undefined };
        const wakeAt = start + windowMs + Math.floor(random() * jitterMs);
        if (wakeAt - started > maxWaitMs) {
          throw new ModelRateLimitedError(
            `[agent:model-rate] tenant ${tenant} used its ${perMinute} model requests a minute; no capacity within ${Math.round(maxWaitMs / 1000)} s`,
          );
        }
        const waitMs = Math.max(0, wakeAt - clock.now());
        onWait?.({ waitMs, limit });
        await sleep(waitMs, signal);
      }
    },
  };
}

async function timerSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    // The timer's own AbortError says nothing; the signal's reason says why (stop, timeout).
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}
