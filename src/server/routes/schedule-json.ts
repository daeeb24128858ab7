import { isActive, nextDue, writtenSpec, type ScheduleRecord } from '../../schedules/index.js';

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/**
 * A schedule as the API shows it: the written spec (`name`, `cron` or `every`, `timezone`,
 * `prompt`, `target`, `model?`, `agent?`, `enabled`, exactly what `POST` takes) and the stored
 * state in snake_case. `next_run` is UTC ISO-8601 (the cron is read in `timezone`), `null` while
 * the schedule is paused or disabled.
 */
export function scheduleJson(record: ScheduleRecord, now: number): Record<string, unknown> {
  return {
    ...writtenSpec(record),
    origin: record.origin,
    paused: record.paused,
    version: record.version,
    next_run: isActive(record) ? iso(nextDue(record.timing, record.timezone, now)) : null,
    topic: record.topic ?? null,
    last_due_at: iso(record.lastDueAt),
    created_by: record.createdBy,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
  };
}
