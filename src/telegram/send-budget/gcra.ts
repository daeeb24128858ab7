/**
 * The generic cell rate algorithm for one key: calls spaced `intervalMs` apart on average, at
 * most `burst` at once. Pure (time is passed in), so a manual clock tests it without sleeping.
 */
export interface Gcra {
  /** The earliest time (epoch ms, ≥ `now`) the next call may go; nothing is taken. */
  next(now: number): number;
  /** Take the slot at `at` (a time `next` allowed, or later): the calls after it are paced from there. */
  take(at: number): void;
  /** A call went at `at` (later than its slot, maybe): the next one is paced from there. */
  sentAt(at: number): void;
  /** The theoretical arrival time: once it is in the past the key holds no state worth keeping. */
  readonly idleAfter: number;
}

export function createGcra(intervalMs: number, burst = 1): Gcra {
  if (!(intervalMs > 0))
    throw new RangeError(`[telegram:send-budget] interval must be > 0, got ${intervalMs}`);
  const tolerance = Math.max(0, burst - 1) * intervalMs;
  let tat = 0;
  return {
    next: (now) => Math.max(now, tat - tolerance),
    take(at) {
      tat = Math.max(tat, at) + intervalMs;
    },
    sentAt(at) {
      tat = Math.max(tat, at + intervalMs);
    },
    get idleAfter() {
      return tat;
    },
  };
}
