import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  UpdateScheduleCommand,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { awsErrorName, describeAwsError, isThrottled } from '../../aws/errors.js';
import { OmniError } from '../../core/errors.js';
import { ScheduleSyncError } from '../errors.js';
import type { ScheduleDefinition } from './definition.js';

/**
 * The Scheduler writes of the sync (what the ingress and API functions may call: their roles grant
 * Create/Update/DeleteSchedule only), each translated at the boundary: a refusal becomes a
 * `ScheduleSyncError` naming the call and the schedule (`schedule_sync_throttled` when Scheduler
 * still throttled after the client's retries); "not found" on a delete is success. The reads of a
 * full reconcile are in `./reads.ts`.
 */

const SOURCE = 'schedules:eventbridge';

export function syncError(operation: string, err: unknown): Error {
  if (err instanceof OmniError) return err;
  return new ScheduleSyncError(`[${SOURCE}] ${operation} failed: ${describeAwsError(err)}`, {
    cause: err,
    code: isThrottled(err) ? 'schedule_sync_throttled' : 'schedule_sync_failed',
  });
}

export async function send<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw syncError(operation, err);
  }
}

export const isMissing = (err: unknown): boolean => awsErrorName(err) === 'ResourceNotFoundException';
const isConflict = (err: unknown): boolean => awsErrorName(err) === 'ConflictException';

/**
 * Create or replace a schedule. `existing` says which call to try first (an apply assumes the
 * schedule exists: after the first sync that is the common case, one call); the other is the
 * fallback: Update → Create on ResourceNotFound, Create → Update on Conflict (another container
 * created it in between).
 */
export async function putSchedule(
  client: SchedulerClient,
  definition: ScheduleDefinition,
  existing = true,
): Promise<'created' | 'updated'> {
  const update = () =>
    send(`UpdateSchedule ${definition.Name}`, () => client.send(new UpdateScheduleCommand(definition)));
  const create = () =>
    send(`CreateSchedule ${definition.Name}`, () => client.send(new CreateScheduleCommand(definition)));
  const first = existing ? update : create;
  try {
    await first();
    return existing ? 'updated' : 'created';
  } catch (err) {
    const fallBack = existing ? isMissing(causeOf(err)) : isConflict(causeOf(err));
    if (!fallBack) throw err;
  }
  await (existing ? create : update)();
  return existing ? 'created' : 'updated';
}

const causeOf = (err: unknown): unknown => (err instanceof ScheduleSyncError ? err.cause : err);

/** Delete a schedule; true if it existed. */
export async function deleteSchedule(client: SchedulerClient, group: string, name: string): Promise<boolean> {
  try {
    await client.send(new DeleteScheduleCommand({ Name: name, GroupName: group }));
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw syncError(`DeleteSchedule ${name}`, err);
  }
}
