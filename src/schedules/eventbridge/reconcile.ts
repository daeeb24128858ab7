import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import { errorMessage } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ScheduleRecord } from '../types.js';
import {
  sameDefinition,
  scheduleDefinition,
  schedulerName,
  tenantNamePrefix,
  type EventBridgeTarget,
  type ScheduleDefinition,
} from './definition.js';
import { deleteSchedule, putSchedule } from './ops.js';
import { getSchedule, listScheduleNames } from './reads.js';

export interface ReconcileOptions extends EventBridgeTarget {
  client: SchedulerClient;
  /** The tenants to reconcile: their schedules not among `records` are deleted. */
  tenants: readonly TenantId[];
  /** Every record of those tenants (from the store). */
  records: readonly ScheduleRecord[];
  /** Only compute the plan: no Create/Update/Delete call is made. */
  dryRun?: boolean;
  logger?: Logger;
}

/** One schedule of the plan: the record it stands for (absent for a deletion) and its Scheduler name. */
export interface PlanEntry {
  tenant: TenantId;
  /** The record's name; absent for a Scheduler schedule whose record is gone. */
  name?: string;
  scheduler: string;
}

export interface ReconcileResult {
  dryRun: boolean;
  create: PlanEntry[];
  update: PlanEntry[];
  unchanged: PlanEntry[];
  delete: PlanEntry[];
  /** Records or calls that failed (the rest of the plan still ran). */
  failed: Array<PlanEntry & { error: string }>;
}

/**
 * A full sync of the store onto EventBridge Scheduler, per tenant: list the group's schedules named
 * `<tenant>.*`, create the missing ones, update those whose definition differs (read with
 * `GetSchedule`; an identical one is left alone, so a rate schedule is not re-anchored by every
 * sync), delete those whose record is gone. One failure does not stop the rest; it is reported.
 */
export async function reconcileEventBridge(options: ReconcileOptions): Promise<ReconcileResult> {
  const { client, tenants, records, dryRun = false, logger = silentLogger, ...rest } = options;
  const target: EventBridgeTarget = {
    group: rest.group,
    queueArn: rest.queueArn,
    roleArn: rest.roleArn,
    ...(rest.deadLetterArn ? { deadLetterArn: rest.deadLetterArn } : {}),
  };
  const result: ReconcileResult = { dryRun, create: [], update: [], unchanged: [], delete: [], failed: [] };
  const planned: Array<{ entry: PlanEntry; definition: ScheduleDefinition; existing: boolean }> = [];
  for (const tenant of tenants) {
    const listed = new Set(await listScheduleNames(client, target.group, tenantNamePrefix(tenant)));
    const wanted = new Set<string>();
    for (const record of records.filter((r) => r.tenant === tenant)) {
      const entry: PlanEntry = { tenant, name: record.name, scheduler: schedulerName(tenant, record.name) };
      wanted.add(entry.scheduler);
      try {
        const definition = scheduleDefinition(record, target);
        const current = listed.has(entry.scheduler)
          ? await getSchedule(client, target.group, entry.scheduler)
          : null;
        if (current && sameDefinition(definition, current)) result.unchanged.push(entry);
        else {
          (current ? result.update : result.create).push(entry);
          planned.push({ entry, definition, existing: current !== null });
        }
      } catch (err) {
        result.failed.push({ ...entry, error: errorMessage(err) });
      }
    }
    for (const name of listed) if (!wanted.has(name)) result.delete.push({ tenant, scheduler: name });
  }
  if (dryRun) return result;
  for (const { entry, definition, existing } of planned) {
    try {
      await putSchedule(client, definition, existing);
      logger.info('schedule trigger synced', { ...entry, action: existing ? 'update' : 'create' });
    } catch (err) {
      result.failed.push({ ...entry, error: errorMessage(err) });
    }
  }
  for (const entry of result.delete) {
    try {
      await deleteSchedule(client, target.group, entry.scheduler);
      logger.info('schedule trigger deleted (no record)', { ...entry });
    } catch (err) {
      result.failed.push({ ...entry, error: errorMessage(err) });
    }
  }
  return result;
}
