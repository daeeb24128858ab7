import type { TenantId } from '../core/ids.js';
import type { ScheduleName, ScheduleRecord } from './types.js';

/**
 * Keeps the deployment's trigger of each schedule in step with the store. On AWS: one EventBridge
 * Scheduler schedule per record (`./eventbridge.js`), created or updated by `apply` (disabled while
 * the record is paused or not enabled) and deleted by `remove`. Locally nothing needs doing: the
 * in-process scheduler reads the store on every tick (`localSync`).
 *
 * Callers write the store first, then call the sync; a sync that fails leaves the store ahead of
 * the trigger, which `omnicloud schedules sync` (and the next apply) repairs.
 */
export interface ScheduleSync {
  readonly kind: 'local' | 'eventbridge';
  apply(record: ScheduleRecord): Promise<void>;
  remove(tenant: TenantId, name: ScheduleName): Promise<void>;
}

/** The in-process scheduler needs no trigger: it reads the store. */
export const localSync: ScheduleSync = {
  kind: 'local',
  apply: async () => undefined,
  remove: async () => undefined,
};
