/**
 * The two rate models the simulation needs.
 *
 * - `TokenBucket`: a limit that refuses (DynamoDB partitions and items, the model provider): `rate`
 *   units a second, at most `burst` banked. A refused request consumes nothing.
 * - `Pacer`: a GCRA schedule (Telegram per chat and per bot): `interval` seconds per message with a
 *   burst of `burst` messages. `conforms` says whether a send now would be accepted (else it is a
 *   429) and books it if so; `reserve` books the earliest conforming time instead (a send budget).
 */
export interface TokenBucket {
  /** Take `units` at time `now` if available. */
  take(now: number, units: number): boolean;
  /** Seconds until `units` would be available (0 if they are now). */
  wait(now: number, units: number): number;
}

export function createTokenBucket(rate: number, burst: number): TokenBucket {
  let tokens = burst;
  let last = 0;
  const refill = (now: number): void => {
    if (now > last) {
      tokens = Math.min(burst, tokens + (now - last) * rate);
      last = now;
    }
  };
  return {
    take(now, units) {
      refill(now);
      if (tokens + 1e-9 < units) return false;
      tokens -= units;
      return true;
    },
    wait(now, units) {
      refill(now);
      return tokens >= units ? 0 : (Math.min(units, burst) - tokens) / rate;
    },
  };
}

export interface Pacer {
  /** Whether a message sent at `now` would stay within the limit (nothing booked). */
  allows(now: number): boolean;
  /** True (and booked) if a message sent at `now` stays within the limit. */
  conforms(now: number): boolean;
  /** The earliest time ≥ now a message may be sent; that slot is booked. */
  reserve(now: number): number;
}

export function createPacer(interval: number, burst = 1): Pacer {
  // Theoretical arrival time: the schedule's "next free" instant.
  let tat = 0;
  const tolerance = (burst - 1) * interval;
  return {
    allows: (now) => Math.max(tat, now) - now <= tolerance + 1e-9,
    conforms(now) {
      const base = Math.max(tat, now);
      if (base - now > tolerance + 1e-9) return false;
      tat = base + interval;
      return true;
    },
    reserve(now) {
      const base = Math.max(tat, now);
      const at = Math.max(now, base - tolerance);
      tat = base + interval;
      return at;
    },
  };
}
