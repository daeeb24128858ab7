import type { Simulation } from './event-queue.js';
import type { Rng } from './prng.js';
import { createTokenBucket, type TokenBucket } from './rate-limit.js';

/** DynamoDB's documented per-partition ceilings (also the ceiling of one item). */
export const PARTITION_WCU_PER_S = 1000;
export const PARTITION_RCU_PER_S = 3000;

export interface DynamoKeysOptions {
  sim: Simulation;
  rng: Rng;
  /** AWS SDK attempts per request (standard retry mode, `maxAttempts` 4). */
  maxAttempts: number;
  /** Base of the SDK's exponential backoff for throttling errors (s). */
  throttleBackoffS: number;
}

export interface DynamoCounts {
  /** Throttled attempts on a partition key (writes / reads). */
  partitionWriteThrottles: number;
  partitionReadThrottles: number;
  /** Throttled attempts on one usage counter item. */
  counterItemThrottles: number;
  /** Requests that ran out of attempts (the turn fails; SQS re-delivers it later). */
  failed: number;
}

export interface DynamoKeys {
  /**
   * Partition keys and items are numbers (the caller's encoding of `pk` values and counter items).
   * Write `wcu` under partition key `partition` (and one unit to the item `counterItem`, if given),
   * retrying throttles like the SDK; `then(ok)` once it succeeded or gave up.
   */
  write(partition: number, wcu: number, counterItem: number | undefined, then: (ok: boolean) => void): void;
  /** Read `rcu` (strongly consistent) under `partition`, same retry rule. */
  read(partition: number, rcu: number, then: (ok: boolean) => void): void;
  readonly counts: DynamoCounts;
  /** Partition keys that were throttled at least once. */
  readonly hotPartitions: ReadonlySet<number>;
}

/**
 * Hot keys of the single table as token buckets at DynamoDB's per-partition rate with 1 s of burst:
 * one per partition key (all items sharing a `pk` live in one partition until a split for heat,
 * which is not modelled: the figures are those of the minutes before a split) and one per counter
 * item. A throttled attempt consumes nothing and is retried with the SDK's jittered backoff.
 */
export function createDynamoKeys(options: DynamoKeysOptions): DynamoKeys {
  const { sim, rng } = options;
  const writes = new Map<number, TokenBucket>();
  const reads = new Map<number, TokenBucket>();
  const items = new Map<number, TokenBucket>();
  const hotPartitions = new Set<number>();
  const counts: DynamoCounts = {
    partitionWriteThrottles: 0,
    partitionReadThrottles: 0,
    counterItemThrottles: 0,
    failed: 0,
  };
  const bucket = (map: Map<number, TokenBucket>, key: number, rate: number): TokenBucket => {
    let b = map.get(key);
    if (!b) {
      b = createTokenBucket(rate, rate);
      map.set(key, b);
    }
    return b;
  };
  const backoff = (attempt: number): number =>
    rng.next() * Math.min(20, options.throttleBackoffS * 2 ** attempt);

  const attempt = (tryOnce: () => boolean, then: (ok: boolean) => void, n = 0): void => {
    if (tryOnce()) return then(true);
    if (n + 1 >= options.maxAttempts) {
      counts.failed++;
      return then(false);
    }
    sim.after(backoff(n), () => attempt(tryOnce, then, n + 1));
  };

  return {
    counts,
    hotPartitions,
    write(partition, wcu, counterItem, then) {
      attempt(() => {
        const now = sim.now;
        const part = bucket(writes, partition, PARTITION_WCU_PER_S);
        if (part.wait(now, wcu) > 0) {
          counts.partitionWriteThrottles++;
          hotPartitions.add(partition);
          return false;
        }
        if (counterItem !== undefined && !bucket(items, counterItem, PARTITION_WCU_PER_S).take(now, 1)) {
          counts.counterItemThrottles++;
          return false;
        }
        part.take(now, wcu);
        return true;
      }, then);
    },
    read(partition, rcu, then) {
      attempt(() => {
        if (bucket(reads, partition, PARTITION_RCU_PER_S).take(sim.now, rcu)) return true;
        counts.partitionReadThrottles++;
        hotPartitions.add(partition);
        return false;
      }, then);
    },
  };
}
