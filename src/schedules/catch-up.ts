import { formatDueTime } from './format.js';
import { dueBetween, nextDue } from './timing.js';
import type { ScheduleRecord } from './types.js';

/**
 * What the local scheduler does with one schedule at one tick, decided from its bookmark
 * (`lastDueAt`) and the clock alone (pure, so the rule is tested without a store or a queue).
 *
 * The rule, for the due times in `(lastDueAt, now]`:
 * - none: nothing to do;
 * - the latest one, L, runs when it is **fresh**: at most `maxLateMs(L)` late, that is half the
 *   time from L to the schedule's next due time, and never more than an hour. A run that late
 *   is still "the 09:00 run"; a later one would land closer to the next run than to its own time
 *   (or hours after the morning summary was wanted), so it is not run;
 * - every other due time was **missed** (the app was down or the machine asleep) and is reported,
 *   never replayed; a stale L is reported with them.
 * The bookmark then moves to L either way, so nothing is run or reported twice.
 */
export type TickPlan =
  | { kind: 'idle' }
  /** A schedule never seen: start counting from now, run nothing. */
  | { kind: 'bookmark'; at: number }
  /** Enqueue the run of `dueAt`; `missed` earlier due times (if any) are reported. */
  | { kind: 'run'; dueAt: number; missed: MissedRuns | null }
  /** Everything due was missed, `dueAt` (the latest) included: report, run nothing. */
  | { kind: 'skip'; dueAt: number; missed: MissedRuns };

export interface MissedRuns {
  count: number;
  /** The latest missed due time. */
  lastDueAt: number;
}

/** A fresh run is at most this late (and at most half its period). */
export const MAX_RUN_LATENESS_MS = 60 * 60 * 1000;

/** Due times are counted in chunks of this many (a long outage of a 5-minute schedule is many). */
const CHUNK = 1000;

export function planTick(
  record: Pick<ScheduleRecord, 'timing' | 'timezone' | 'lastDueAt'>,
  now: number,
): TickPlan {
  if (record.lastDueAt === undefined) return { kind: 'bookmark', at: now };
  const due = countDue(record, record.lastDueAt, now);
  if (due.count === 0 || due.latest === undefined) return { kind: 'idle' };
  const latest = due.latest;
  if (now - latest <= maxLateMs(record, latest)) {
    const missed =
      due.count > 1 && due.beforeLatest !== undefined
        ? { count: due.count - 1, lastDueAt: due.beforeLatest }
        : null;
    return { kind: 'run', dueAt: latest, missed };
  }
  return { kind: 'skip', dueAt: latest, missed: { count: due.count, lastDueAt: latest } };
}

/** Half the time from `dueAt` to the next due time, at most `MAX_RUN_LATENESS_MS`. */
export function maxLateMs(record: Pick<ScheduleRecord, 'timing' | 'timezone'>, dueAt: number): number {
  const next = nextDue(record.timing, record.timezone, dueAt);
  const half = next === null ? MAX_RUN_LATENESS_MS : (next - dueAt) / 2;
  return Math.min(half, MAX_RUN_LATENESS_MS);
}

function countDue(
  record: Pick<ScheduleRecord, 'timing' | 'timezone'>,
  after: number,
  upTo: number,
): { count: number; latest?: number; beforeLatest?: number } {
  let count = 0;
  let latest: number | undefined;
  let beforeLatest: number | undefined;
  let from = after;
  for (;;) {
    const chunk = dueBetween(record.timing, record.timezone, from, upTo, CHUNK);
    if (chunk.length === 0) break;
    count += chunk.length;
    beforeLatest = chunk.length >= 2 ? chunk[chunk.length - 2] : latest;
    latest = chunk[chunk.length - 1];
    if (chunk.length <= CHUNK || latest === undefined) break;
    from = latest;
  }
  return {
    count,
    ...(latest !== undefined ? { latest } : {}),
    ...(beforeLatest !== undefined ? { beforeLatest } : {}),
  };
}

/**
 * The notice sent to the schedule's chat: "⏰ morning-alarms: 3 runs were missed while the app was
 * not running (last due Tue 2026-12-01 09:00 Europe/Berlin); they are not replayed. Next run: …".
 */
export function missedRunsText(
  record: Pick<ScheduleRecord, 'name' | 'timing' | 'timezone'>,
  missed: MissedRuns,
  now: number,
  runningDueAt?: number,
): string {
  const runs = missed.count === 1 ? '1 run was' : `${missed.count} runs were`;
  const they = missed.count === 1 ? 'it is' : 'they are';
  const head = `⏰ ${record.name}: ${runs} missed while the app was not running (last due ${formatDueTime(missed.lastDueAt, record.timezone)} ${record.timezone}); ${they} not replayed.`;
  if (runningDueAt !== undefined) {
    return `${head} Running the one due ${formatDueTime(runningDueAt, record.timezone)} now.`;
  }
  const next = nextDue(record.timing, record.timezone, now);
  return next === null
    ? `${head} No further run is due.`
    : `${head} Next run: ${formatDueTime(next, record.timezone)}.`;
}
