import { createTokenBucket } from './rate-limit.js';

export interface LambdaPoolOptions {
  /** Extra latency of an invocation on a new execution environment (s). */
  coldStartS: number;
  /** How long an idle environment is kept before Lambda reclaims it (s). */
  idleTtlS: number;
  /** New environments a second the function may add (1,000 per 10 s: 100/s) … */
  scaleRatePerS: number;
  /** … with at most this many at once (1,000). */
  scaleBurst: number;
  /** Warm environments at time 0 (a window that starts mid-day starts warm). */
  prewarmed?: number;
}

export interface LambdaPool {
  /** An environment for an invocation starting at `now`: when it can start running, and whether cold. */
  acquire(now: number): { readyAt: number; cold: boolean };
  /** The invocation finished at `now`; its environment becomes idle. */
  release(now: number): void;
  readonly coldStarts: number;
  /** Most environments alive at once. */
  readonly peakEnvironments: number;
}

/**
 * Lambda execution environments for one function: warm ones are reused (most recently idle first),
 * idle ones expire after `idleTtlS`, new ones pay a cold start and are limited by the function's
 * concurrency scaling rate.
 */
export function createLambdaPool(options: LambdaPoolOptions): LambdaPool {
  const scaling = createTokenBucket(options.scaleRatePerS, options.scaleBurst);
  // Idle environments by the time they became idle, oldest first.
  const idle: number[] = Array.from({ length: options.prewarmed ?? 0 }, () => 0);
  let idleHead = 0;
  let busy = 0;
  let coldStarts = 0;
  let peak = idle.length;

  const expire = (now: number): void => {
    while (idleHead < idle.length && (idle[idleHead] as number) < now - options.idleTtlS) idleHead++;
    if (idleHead > 4096 && idleHead * 2 > idle.length) {
      idle.splice(0, idleHead);
      idleHead = 0;
    }
  };

  return {
    get coldStarts() {
      return coldStarts;
    },
    get peakEnvironments() {
      return peak;
    },
    acquire(now) {
      expire(now);
      busy++;
      if (idle.length > idleHead) {
        idle.pop();
        return { readyAt: now, cold: false };
      }
      coldStarts++;
      peak = Math.max(peak, busy + idle.length - idleHead);
      const wait = scaling.take(now, 1) ? 0 : scaling.wait(now, 1);
      if (wait > 0) scaling.take(now + wait, 1);
      return { readyAt: now + wait + options.coldStartS, cold: true };
    },
    release(now) {
      busy--;
      expire(now);
      idle.push(now);
    },
  };
}
