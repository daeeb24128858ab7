/**
 * One chat's budget for live updates: at most one update per `intervalMs`, the first one at once,
 * and nothing before a 429's `retry_after` has passed. Time is passed in (testable, no timers).
 */
export interface ChatBudget {
  /** Milliseconds until the next update may go (0: now). */
  waitMs(now: number): number;
  /** Record an update sent at `now`. */
  take(now: number): void;
  /** Telegram said "retry after": no update before `until`. */
  pauseUntil(until: number): void;
}

export function createChatBudget(intervalMs: number): ChatBudget {
  let nextAt = 0;
  return {
    waitMs: (now) => Math.max(0, nextAt - now),
    take(now) {
      nextAt = Math.max(nextAt, now + intervalMs);
    },
    pauseUntil(until) {
      nextAt = Math.max(nextAt, until);
    },
  };
}
