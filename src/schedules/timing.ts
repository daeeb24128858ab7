import { Cron } from 'croner';
import { InvalidScheduleError } from './errors.js';
import { MIN_SCHEDULE_INTERVAL_MS, RATE_UNITS, type RateUnit, type ScheduleTiming } from './types.js';

/**
 * Due times of a schedule, computed the same way on every container: cron expressions by `croner`
 * (in the schedule's IANA time zone, daylight-saving changes included), rates as multiples of the
 * period since the Unix epoch. Also the one parser of the human forms (`0 9 * * 1-5`, `every 15m`)
 * and the translation to EventBridge Scheduler expressions.
 */

const UNIT_MS: Record<RateUnit, number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/** The portable 5-field subset: numbers, names, `*`, ranges, steps and lists (no seconds, no `L`/`#`/`?`). */
const FIELD_RE =
  /^(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
const MAX_EXPRESSION_CHARS = 100;

export function periodMs(timing: Extract<ScheduleTiming, { type: 'rate' }>): number {
  return timing.every * UNIT_MS[timing.unit];
}

/** A time zone `Intl` knows (IANA names such as `Europe/Berlin`, or `UTC`). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronOf(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, paused: true, mode: '5-part' });
}

/**
 * Checks a timing and time zone: a valid expression in the portable subset (one EventBridge
 * Scheduler can express too), a known zone, and never due more often than `MIN_SCHEDULE_INTERVAL_MS`
 * (checked over the next 200 due times for cron).
 * Throws `InvalidScheduleError` naming what is wrong.
 */
export function assertValidTiming(timing: ScheduleTiming, timezone: string): void {
  if (!isTimeZone(timezone)) throw new InvalidScheduleError(`unknown time zone "${timezone.slice(0, 64)}"`);
  const minMinutes = MIN_SCHEDULE_INTERVAL_MS / 60_000;
  if (timing.type === 'rate') {
    if (!Number.isSafeInteger(timing.every) || timing.every < 1 || !RATE_UNITS.includes(timing.unit)) {
      throw new InvalidScheduleError('a rate is a whole number of minutes, hours or days');
    }
    if (periodMs(timing) < MIN_SCHEDULE_INTERVAL_MS) {
      throw new InvalidScheduleError(
        `runs at most every ${minMinutes} minutes (got every ${timing.every} ${timing.unit})`,
      );
    }
    if (periodMs(timing) > 366 * UNIT_MS.days) throw new InvalidScheduleError('a rate is at most 366 days');
    return;
  }
  const expression = timing.expression.trim();
  const fields = expression.split(/\s+/);
  if (
    expression.length > MAX_EXPRESSION_CHARS ||
    fields.length !== 5 ||
    !fields.every((f) => FIELD_RE.test(f))
  ) {
    throw new InvalidScheduleError(
      `cron expression "${expression.slice(0, MAX_EXPRESSION_CHARS)}" must have 5 fields (minute hour day-of-month month day-of-week) of numbers, names, *, ranges, steps and lists`,
    );
  }
  // The same rules locally and on AWS: a cron EventBridge Scheduler cannot express is refused here
  // (both day fields set, steps in day-of-week), not discovered at the first sync.
  eventBridgeExpression({ type: 'cron', expression });
  let cron: Cron;
  try {
    cron = cronOf(expression, timezone);
  } catch (err) {
    throw new InvalidScheduleError(`cron expression "${expression}": ${(err as Error).message}`);
  }
  const runs = cron.nextRuns(200, new Date(Date.UTC(2026, 0, 1)));
  if (runs.length === 0) throw new InvalidScheduleError(`cron expression "${expression}" is never due`);
  for (let i = 1; i < runs.length; i++) {
    if (runs[i]!.getTime() - runs[i - 1]!.getTime() < MIN_SCHEDULE_INTERVAL_MS) {
      throw new InvalidScheduleError(
        `cron expression "${expression}" is due more often than every ${minMinutes} minutes (the minimum interval)`,
      );
    }
  }
}

/** A schedule's "next due time after t", with its cron expression parsed once for a whole walk. */
function dueAfter(timing: ScheduleTiming, timezone: string): (after: number) => number | null {
  if (timing.type === 'rate') {
    const period = periodMs(timing);
    return (after) => (Math.floor(after / period) + 1) * period;
  }
  const cron = cronOf(timing.expression, timezone);
  return (after) => cron.nextRun(new Date(after))?.getTime() ?? null;
}

/** The first due time strictly after `after` (epoch ms), or null when there is none. */
export function nextDue(timing: ScheduleTiming, timezone: string, after: number): number | null {
  return dueAfter(timing, timezone)(after);
}

/**
 * Due times after `after`, oldest first: at most `count`, and none later than `upTo` (default: no
 * bound). One parse of the expression for the whole walk.
 */
export function dueTimes(
  timing: ScheduleTiming,
  timezone: string,
  after: number,
  bounds: { count: number; upTo?: number },
): number[] {
  const next = dueAfter(timing, timezone);
  const out: number[] = [];
  let t = after;
  while (out.length < bounds.count) {
    const due = next(t);
    if (due === null || (bounds.upTo !== undefined && due > bounds.upTo)) break;
    out.push(due);
    t = due;
  }
  return out;
}

/**
 * Due times in `(after, upTo]`, oldest first, at most `limit + 1` of them (one past `limit` tells
 * the caller there were more): what the local scheduler missed while it was down.
 */
export function dueBetween(
  timing: ScheduleTiming,
  timezone: string,
  after: number,
  upTo: number,
  limit = 1000,
): number[] {
  return dueTimes(timing, timezone, after, { count: limit + 1, upTo });
}

/**
 * Parses the human forms used by `/schedule add` and the API: `every 15m` / `every 2h` / `every 1d`
 * (also `every 15 minutes`), or a 5-field cron expression. Throws `InvalidScheduleError`.
 */
export function parseTiming(text: string): ScheduleTiming {
  const trimmed = text.trim();
  const rate = /^every\s+(\d{1,6})\s*(m|min|mins|minutes?|h|hours?|d|days?)$/i.exec(trimmed);
  if (rate) {
    const unitText = rate[2]!.toLowerCase();
    const unit: RateUnit = unitText.startsWith('m') ? 'minutes' : unitText.startsWith('h') ? 'hours' : 'days';
    return { type: 'rate', every: Number(rate[1]), unit };
  }
  return { type: 'cron', expression: trimmed.split(/\s+/).join(' ') };
}

/** `every 15 minutes` / `0 9 * * 1-5 (Europe/Berlin)`: for lists and confirmations. */
export function describeTiming(timing: ScheduleTiming, timezone: string): string {
  if (timing.type === 'rate') {
    const unit = timing.every === 1 ? timing.unit.slice(0, -1) : timing.unit;
    return `every ${timing.every} ${unit}`;
  }
  return `cron ${timing.expression} (${timezone})`;
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** A day-of-week token as standard cron's number (0–7, names accepted); null if it is neither. */
function dowNumber(token: string): number | null {
  if (/^[0-7]$/.test(token)) return Number(token);
  const i = DAY_NAMES.indexOf(token.toUpperCase());
  return i >= 0 ? i : null;
}

/**
 * Standard cron numbers Sunday 0 (or 7), Monday 1 … Saturday 6; EventBridge numbers Sunday 1 …
 * Saturday 7 and has no steps in this field.
 */
function eventBridgeDow(field: string, expression: string): string {
  const refuse = (): never => {
    throw new InvalidScheduleError(
      `cron expression "${expression}": EventBridge Scheduler takes days of the week as names, numbers, ranges and lists (no steps)`,
    );
  };
  return field
    .split(',')
    .map((part) => {
      if (part.includes('/')) refuse();
      const bounds = part.split('-');
      const numbers = bounds.map(dowNumber);
      if (numbers.some((n) => n === null) || bounds.length > 2) refuse();
      const [a, b] = numbers as number[];
      if (b === undefined) return String((a! % 7) + 1);
      if (b === 7) return a === 0 ? '1-7' : `${a! + 1}-7,1`;
      if (b < a!) refuse();
      return `${a! + 1}-${b + 1}`;
    })
    .join(',');
}

/**
 * The EventBridge Scheduler expression of a timing: `rate(15 minutes)` or `cron(m h dom mon dow *)`
 * (AWS needs `?` in one of the two day fields and numbers Sunday as 1). A cron that restricts both
 * day-of-month and day-of-week (standard cron: either matches) cannot be expressed and is refused.
 */
export function eventBridgeExpression(timing: ScheduleTiming): string {
  if (timing.type === 'rate') {
    const unit = timing.every === 1 ? timing.unit.slice(0, -1) : timing.unit;
    return `rate(${timing.every} ${unit})`;
  }
  const [minute, hour, dom, month, dow] = timing.expression.trim().split(/\s+/) as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (dom !== '*' && dow !== '*') {
    throw new InvalidScheduleError(
      `cron expression "${timing.expression}" sets both day-of-month and day-of-week, which EventBridge Scheduler cannot express: use two schedules`,
    );
  }
  const awsDom = dom === '*' && dow !== '*' ? '?' : dom;
  const awsDow = dow === '*' ? '?' : eventBridgeDow(dow, timing.expression);
  return `cron(${minute} ${hour} ${awsDom} ${month.toUpperCase()} ${awsDow} *)`;
}
