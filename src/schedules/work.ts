import { conversationKey, type ConversationKey } from '../core/keys.js';
import type { TenantId } from '../core/ids.js';
import type { ScheduledWork } from '../queue/types.js';
import type { ScheduleRecord } from './types.js';

/**
 * The queue lane of a schedule: `tenant:<target chat>:sched-<name>`. All runs of one schedule go
 * through it one at a time (so they never stack), whichever conversation they post in.
 */
export function scheduleLane(
  tenant: TenantId,
  record: Pick<ScheduleRecord, 'name' | 'target'>,
): ConversationKey {
  return conversationKey({ tenant, chat: record.target.chat, thread: `sched-${record.name}` });
}

/** `2026-12-02T09:00:00Z`: the due time as the work item carries it (whole seconds, as EventBridge writes it). */
export function dueIso(dueAt: number): string {
  return new Date(Math.floor(dueAt / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * The work item of one due run. EventBridge Scheduler sends the same body with `dueAt` set to
 * `<aws.scheduler.scheduled-time>` (`SCHEDULED_TIME_PLACEHOLDER`).
 */
export function scheduledWork(
  record: Pick<ScheduleRecord, 'tenant' | 'name' | 'target'>,
  dueAt: number | typeof SCHEDULED_TIME_PLACEHOLDER,
): ScheduledWork {
  return {
    kind: 'scheduled',
    key: scheduleLane(record.tenant, record),
    source: {
      type: 'schedule',
      schedule: record.name,
      dueAt: typeof dueAt === 'number' ? dueIso(dueAt) : dueAt,
    },
  };
}

/** EventBridge Scheduler's context attribute for the run's scheduled time (ISO 8601, seconds). */
export const SCHEDULED_TIME_PLACEHOLDER = '<aws.scheduler.scheduled-time>';
