import { awsClientOptions } from '../aws/config.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { EventBridgeTarget } from '../schedules/eventbridge/definition.js';
import { localSync, type ScheduleSync } from '../schedules/sync.js';

const TARGET_VARIABLES = [
  'OMNICLOUD_SCHEDULE_GROUP',
  'OMNICLOUD_SCHEDULE_ROLE_ARN',
  'OMNICLOUD_QUEUE_ARN',
] as const;

/**
 * The EventBridge Scheduler target named by the environment (the template sets all three variables
 * on the ingress and API), or null when none is set. Some but not all set is a `ConfigError`.
 */
export function eventBridgeTargetOf(env: AppEnv): EventBridgeTarget | null {
  const missing = TARGET_VARIABLES.filter((name) => !env[name]);
  if (missing.length === TARGET_VARIABLES.length) return null;
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((field) => ({
        file: 'environment',
        field,
        message: `required with ${TARGET_VARIABLES.filter((n) => !missing.includes(n)).join(', ')} (the schedule sync's EventBridge target)`,
      })),
    );
  }
  return {
    group: env.OMNICLOUD_SCHEDULE_GROUP as string,
    roleArn: env.OMNICLOUD_SCHEDULE_ROLE_ARN as string,
    queueArn: env.OMNICLOUD_QUEUE_ARN as string,
  };
}

/**
 * The schedule sync of a process: EventBridge Scheduler when the environment names a target (on
 * AWS), else the local one (the in-process scheduler reads the store). The Scheduler SDK is loaded
 * and its client built on the first change, not at start: a cold start that changes no schedule
 * (most webhook and API invocations) never pays for it. `close` destroys the client, if built.
 */
export async function buildScheduleSync(
  env: AppEnv,
  logger: Logger,
): Promise<{ sync: ScheduleSync; close(): void }> {
  const target = eventBridgeTargetOf(env);
  if (!target) return { sync: localSync, close: () => undefined };
  let built: Promise<{ sync: ScheduleSync; client: { destroy(): void } }> | undefined;
  const eventBridge = () =>
    (built ??= (async () => {
      const { createSchedulerClient } = await import('../aws/scheduler.js');
      const { createEventBridgeSync } = await import('../schedules/eventbridge/sync.js');
      const client = createSchedulerClient(awsClientOptions(env, 'SCHEDULER'));
      const sync = createEventBridgeSync({
        client,
        logger: logger.child({ component: 'schedules:eventbridge' }),
        ...target,
      });
      return { sync, client };
    })());
  return {
    sync: {
      kind: 'eventbridge',
      apply: async (record) => (await eventBridge()).sync.apply(record),
      remove: async (tenant, name) => (await eventBridge()).sync.remove(tenant, name),
    },
    close: () => void built?.then(({ client }) => client.destroy()),
  };
}
