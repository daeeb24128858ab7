import { describeTiming, dueTimes } from './timing.js';
import type { ScheduleSpec, ScheduleTarget } from './types.js';

/**
 * Words for people about a schedule: when it is due (in its own time zone) and where it posts.
 * Used by `omnicloud config check` and the local scheduler's missed-run notice.
 */

/** `Wed 2026-12-02 09:00`: a due time as the wall clock of `timezone` shows it. */
export function formatDueTime(epochMs: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(epochMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** The next `count` due times strictly after `after` (fewer when the schedule is never due again). */
export function nextDueTimes(
  spec: Pick<ScheduleSpec, 'timing' | 'timezone'>,
  after: number,
  count: number,
): number[] {
  return dueTimes(spec.timing, spec.timezone, after, { count });
}

/** `Wed 2 Dec, 09:00` in `zone` (Telegram messages about schedules and their runs). */
export function timeIn(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);
}

/** `chat -100123, new topic` / `chat -100123, topic 7` / `chat 42`. */
export function describeTarget(target: ScheduleTarget): string {
  if (target.thread === 'new') return `chat ${target.chat}, new topic`;
  if (target.thread !== undefined) return `chat ${target.chat}, topic ${target.thread}`;
  return `chat ${target.chat}`;
}

/** One line about a spec: `morning-alarms: cron 0 9 * * 1-5 (Europe/Berlin) → chat 42; enabled`. */
export function describeSchedule(spec: ScheduleSpec): string {
  const extras = [
    spec.enabled ? 'enabled' : 'disabled',
    ...(spec.model !== undefined ? [`model ${spec.model}`] : []),
    ...(spec.agent !== undefined ? [`agent ${spec.agent}`] : []),
  ];
  return `${spec.name}: ${describeTiming(spec.timing, spec.timezone)} → ${describeTarget(spec.target)}; ${extras.join(', ')}`;
}
