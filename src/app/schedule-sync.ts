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
 * only in the first case. `close` destroys the client.
 */
export async function buildScheduleSync(
  env: AppEnv,
  logger: Logger,
): Promise<{ sync: ScheduleSync; close(): void }> {
  const target = eventBridgeTargetOf(env);
  if (!target) return { sync: localSync, close: () => undefined };
  const { createSchedulerClient } = await import('../aws/scheduler.js');
  const { createEventBridgeSync } = await import('../schedules/eventbridge/sync.js');
  const client = createSchedulerClient(awsClientOptions(env, 'SCHEDULER'));
  return {
    sync: createEventBridgeSync({
      client,
      logger: logger.child({ component: 'schedules:eventbridge' }),
      ...target,
    }),
    close: () => client.destroy(),
  };
}
