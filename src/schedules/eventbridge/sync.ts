import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Logger } from '../../core/logger.js';
import type { ScheduleSync } from '../sync.js';
import { scheduleDefinition, schedulerName, type EventBridgeTarget } from './definition.js';
import { deleteSchedule, putSchedule } from './ops.js';

export interface EventBridgeSyncOptions extends EventBridgeTarget {
  /** A client with the project's retry policy (`aws/scheduler.js`). */
  client: SchedulerClient;
  logger: Logger;
}

/**
 * The AWS trigger of schedules: one EventBridge Scheduler schedule per record, sending the run's
 * work item straight to the FIFO queue. `apply` replaces the schedule's whole definition
 * (`UpdateSchedule`, or `CreateSchedule` the first time); `remove` deletes it (already gone is fine).
 * Errors are `ScheduleSyncError` (or `InvalidScheduleError` for a cron Scheduler cannot express).
 */
export function createEventBridgeSync(
  options: EventBridgeSyncOptions,
): ScheduleSync & { kind: 'eventbridge' } {
  const { client, logger, ...target } = options;
  return {
    kind: 'eventbridge',
    async apply(record) {
      const definition = scheduleDefinition(record, target);
      const done = await putSchedule(client, definition);
      logger.info('schedule trigger synced', {
        tenant: record.tenant,
        schedule: record.name,
        scheduler: definition.Name,
        state: definition.State,
        action: done,
      });
    },
    async remove(tenant, name) {
      const existed = await deleteSchedule(client, target.group, schedulerName(tenant, name));
      logger.info('schedule trigger removed', { tenant, schedule: name, existed });
    },
  };
}
