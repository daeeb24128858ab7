/** Injected time source, so expiry and lease logic can be tested without sleeping. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
/**
 * The largest epoch a JavaScript `Date` holds, in ms (100,000,000 days after 1970): a time past it
 * is an Invalid Date (`toISOString` throws). Wire formats bound their epoch fields by it.
 */
export const MAX_EPOCH_MS = 8.64e15;
/** Conversations expire this long after their last turn (DynamoDB TTL / S3 lifecycle use the same horizon). */
export const CONVERSATION_RETENTION_DAYS = 25;
/** Turn-ledger records (exactly-once turns on queue re-delivery) expire this long after their last write. */
export const TURN_LEDGER_RETENTION_DAYS = 7;

/** A `Clock` that only moves when told to (tests, the storage conformance suite). */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: number = Date.UTC(2025, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Move time forward by `ms` (must be ≥ 0); returns the new time. */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new RangeError(`[clock] cannot advance by ${ms} ms`);
    this.current += ms;
    return this.current;
  }

  /** Jump to an absolute time (epoch ms). */
  set(epochMs: number): void {
    this.current = epochMs;
  }
}
