import { createHash } from 'node:crypto';
import type { GetScheduleOutput, UpdateScheduleInput } from '@aws-sdk/client-scheduler';
import type { TenantId } from '../../core/ids.js';
import { encodeQueuedMessage, messageGroupId } from '../../queue/message.js';
import { eventBridgeExpression } from '../timing.js';
import { isActive, type ScheduleName, type ScheduleRecord } from '../types.js';
import { SCHEDULED_TIME_PLACEHOLDER, scheduledWork } from '../work.js';

/** Where every schedule of the deployment sends its runs, and as whom (the stack's outputs). */
export interface EventBridgeTarget {
  /** The stack's schedule group (`AWS::Scheduler::ScheduleGroup`): every schedule lives in it. */
  group: string;
  /** ARN of the work queue (FIFO, content-based deduplication on). */
  queueArn: string;
  /** ARN of the role Scheduler assumes to send to the queue (`sqs:SendMessage` on it only). */
  roleArn: string;
  /** A standard SQS queue for runs Scheduler gave up on (optional; FIFO queues are not accepted). */
  deadLetterArn?: string;
}

/** Scheduler's limit on a schedule name: 1–64 characters of `[0-9a-zA-Z-_.]`. */
export const SCHEDULER_NAME_MAX = 64;
/** Scheduler retries a failed send this often, for at most an hour (a run later than that is stale). */
export const RUN_RETRY_POLICY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 } as const;

/**
 * The Scheduler name of a schedule: `<tenant>.<name>` when it fits 64 characters, else its first 55
 * characters, `-` and 8 hex of SHA-256(`<tenant>/<name>`). Tenants never contain `.` and are at
 * most 32 characters, so `<tenant>.` always stays a prefix of the tenant's names and of no other's.
 */
export function schedulerName(tenant: TenantId, name: ScheduleName | string): string {
  const full = `${tenant}.${name}`;
  if (full.length <= SCHEDULER_NAME_MAX) return full;
  const hash = createHash('sha256').update(`${tenant}/${name}`).digest('hex').slice(0, 8);
  return `${full.slice(0, SCHEDULER_NAME_MAX - 9)}-${hash}`;
}

/** The prefix every Scheduler name of the tenant starts with (`ListSchedules` `NamePrefix`). */
export const tenantNamePrefix = (tenant: TenantId): string => `${tenant}.`;

/** The full definition of a record's schedule (`UpdateSchedule` replaces every field, so both calls take it). */
export type ScheduleDefinition = UpdateScheduleInput & {
  Name: string;
  GroupName: string;
  Target: NonNullable<UpdateScheduleInput['Target']>;
};

/**
 * One Scheduler schedule per record: the record's timing in its zone, sent straight to the FIFO
 * queue in the schedule's lane; the body is the run's work item with `dueAt` left to Scheduler
 * (`<aws.scheduler.scheduled-time>`). Disabled while the record is paused or not enabled. Throws
 * `InvalidScheduleError` for a cron Scheduler cannot express (both day fields set).
 */
export function scheduleDefinition(record: ScheduleRecord, target: EventBridgeTarget): ScheduleDefinition {
  const item = scheduledWork(record, SCHEDULED_TIME_PLACEHOLDER);
  return {
    Name: schedulerName(record.tenant, record.name),
    GroupName: target.group,
    Description: `omnicloud ${record.tenant}/${record.name}`,
    ScheduleExpression: eventBridgeExpression(record.timing),
    ScheduleExpressionTimezone: record.timezone,
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: isActive(record) ? 'ENABLED' : 'DISABLED',
    Target: {
      Arn: target.queueArn,
      RoleArn: target.roleArn,
      Input: encodeQueuedMessage(item),
      SqsParameters: { MessageGroupId: messageGroupId(item) },
      RetryPolicy: { ...RUN_RETRY_POLICY },
      ...(target.deadLetterArn ? { DeadLetterConfig: { Arn: target.deadLetterArn } } : {}),
    },
  };
}

/** Whether a schedule read back (`GetSchedule`) already has this definition (then a sync leaves it alone). */
export function sameDefinition(want: ScheduleDefinition, got: GetScheduleOutput): boolean {
  const a = want.Target;
  const b = got.Target;
  return (
    got.GroupName === want.GroupName &&
    got.Description === want.Description &&
    got.ScheduleExpression === want.ScheduleExpression &&
    (got.ScheduleExpressionTimezone ?? 'UTC') === want.ScheduleExpressionTimezone &&
    got.FlexibleTimeWindow?.Mode === 'OFF' &&
    got.State === want.State &&
    b !== undefined &&
    b.Arn === a.Arn &&
    b.RoleArn === a.RoleArn &&
    b.Input === a.Input &&
    b.SqsParameters?.MessageGroupId === a.SqsParameters?.MessageGroupId &&
    b.RetryPolicy?.MaximumEventAgeInSeconds === a.RetryPolicy?.MaximumEventAgeInSeconds &&
    b.RetryPolicy?.MaximumRetryAttempts === a.RetryPolicy?.MaximumRetryAttempts &&
    b.DeadLetterConfig?.Arn === a.DeadLetterConfig?.Arn
  );
}
