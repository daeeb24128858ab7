import {
  GetScheduleCommand,
  ListSchedulesCommand,
  type GetScheduleOutput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { isMissing, send, syncError } from './ops.js';

/**
 * The Scheduler reads of a full reconcile (`omnicloud schedules sync`, run with the operator's
 * credentials): the functions never call these, so their roles do not grant them.
 */

/** A schedule's definition as Scheduler has it, or null. */
export async function getSchedule(
  client: SchedulerClient,
  group: string,
  name: string,
): Promise<GetScheduleOutput | null> {
  try {
    return await client.send(new GetScheduleCommand({ Name: name, GroupName: group }));
  } catch (err) {
    if (isMissing(err)) return null;
    throw syncError(`GetSchedule ${name}`, err);
  }
}

/** Names of the group's schedules starting with `prefix`, every page of `ListSchedules`. */
export async function listScheduleNames(
  client: SchedulerClient,
  group: string,
  prefix: string,
): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await send(`ListSchedules ${group}/${prefix}*`, () =>
      client.send(
        new ListSchedulesCommand({
          GroupName: group,
          NamePrefix: prefix,
          MaxResults: 100,
          ...(token ? { NextToken: token } : {}),
        }),
      ),
    );
    for (const s of page.Schedules ?? []) {
      if (s.Name && (s.GroupName === undefined || s.GroupName === group)) names.push(s.Name);
    }
    token = page.NextToken;
  } while (token);
  return names;
}
