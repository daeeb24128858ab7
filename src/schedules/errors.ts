import { OmniError } from '../core/errors.js';
import type { ScheduleRecord } from './types.js';

/** A schedule (name, timing, time zone, prompt, target…) is invalid; nothing was written. */
export class InvalidScheduleError extends OmniError {
  constructor(message: string) {
    super('invalid_schedule', message, { status: 400 });
  }
}

/** `put` with an `expectedVersion` the stored record does not have (or a create of an existing name). */
export class ScheduleConflictError extends OmniError {
  constructor(message: string) {
    super('schedule_conflict', message, { status: 409 });
  }
}

/** The tenant has `MAX_SCHEDULES_PER_TENANT` schedules already. */
export class ScheduleLimitError extends OmniError {
  constructor(message: string) {
    super('schedule_limit', message, { status: 409 });
  }
}

/** A claim key or value is malformed or too large; nothing was written. */
export class InvalidClaimError extends OmniError {
  constructor(message: string) {
    super('invalid_claim', message, { status: 400 });
  }
}

/** No schedule of that name in the tenant. */
export class ScheduleNotFoundError extends OmniError {
  constructor(message: string) {
    super('schedule_not_found', message, { status: 404 });
  }
}

/**
 * A change a config-origin schedule does not take: it is defined in the tenant's `schedules.yaml`
 * and may only be paused or resumed at runtime (the file is changed, then synced).
 */
export class ScheduleFromConfigError extends OmniError {
  constructor(message: string) {
    super('schedule_from_config', message, { status: 409 });
  }
}

/**
 * The deployment's trigger refused a change (on AWS: EventBridge Scheduler, after the client's
 * retries): `[schedules:eventbridge] UpdateSchedule acme.morning failed: ValidationException (HTTP 400): …`.
 * The store is already written (`record` is what was written, absent after a removal);
 * `omnicloud schedules sync` or the schedule's next change repairs the trigger.
 */
export class ScheduleSyncError extends OmniError {
  readonly record: ScheduleRecord | undefined;

  constructor(
    message: string,
    options?: {
      cause?: unknown;
      code?: 'schedule_sync_failed' | 'schedule_sync_throttled';
      record?: ScheduleRecord;
    },
  ) {
    super(options?.code ?? 'schedule_sync_failed', message, { cause: options?.cause, status: 502 });
    this.record = options?.record;
  }
}
