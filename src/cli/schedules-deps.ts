import type { SchedulesCommandDeps } from './schedules.js';
import { awsCliStackOutputs } from './set-webhook.js';
import { awsClientOptions } from '../aws/config.js';
import type { AppEnv } from '../config/env.js';
import { ConfigError } from '../core/errors.js';
import type { TenantId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { EventBridgeTarget } from '../schedules/eventbridge/definition.js';
import type { ScheduleStore } from '../schedules/types.js';
import { eventBridgeTargetOf } from '../app/schedule-sync.js';

/** The stack outputs `schedules sync` reads when the environment names no target (template.yaml). */
export const TARGET_OUTPUTS = {
  group: 'ScheduleGroupName',
  roleArn: 'SchedulerRoleArn',
  queueArn: 'QueueArn',
} as const satisfies Record<keyof Omit<EventBridgeTarget, 'deadLetterArn'>, string>;

/** The sync target from the environment, else from the stack's outputs. */
export async function resolveTarget(
  env: AppEnv,
  where: { stack: string; region?: string },
  stackOutputs: (stack: string, region?: string) => Promise<Record<string, string>>,
): Promise<EventBridgeTarget> {
  const fromEnv = eventBridgeTargetOf(env);
  if (fromEnv) return fromEnv;
  const outputs = await stackOutputs(where.stack, where.region);
  const missing = Object.values(TARGET_OUTPUTS).filter((key) => !outputs[key]);
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map((field) => ({
        file: `stack ${where.stack}`,
        field,
        message:
          'missing output (deploy this version of template.yaml, or set OMNICLOUD_SCHEDULE_* and OMNICLOUD_QUEUE_ARN)',
      })),
    );
  }
  return {
    group: outputs[TARGET_OUTPUTS.group] as string,
    roleArn: outputs[TARGET_OUTPUTS.roleArn] as string,
    queueArn: outputs[TARGET_OUTPUTS.queueArn] as string,
  };
}

export interface SchedulesCommandInput {
  env: AppEnv;
  logger: Logger;
  /** The schedule store of `env`'s storage (built by the composition root) and the tenants. */
  store: ScheduleStore;
  tenants: readonly TenantId[];
  /** Closes the store (and whatever else the caller opened for it). */
  close(): Promise<void>;
  /** `schedules.yaml` → store, run before the sync (`reconcileConfigSchedules`, wired at the root). */
  beforeSync?: SchedulesCommandDeps['beforeSync'];
  /** Default: the AWS CLI's `cloudformation describe-stacks` (as `telegram set-webhook`). */
  stackOutputs?: (stack: string, region?: string) => Promise<Record<string, string>>;
}

/**
 * The deps of `omnicloud schedules` around a store: the EventBridge client and target (env or stack
 * outputs; the Scheduler SDK is loaded only when a sync runs on cloud storage) and the reconcile.
 */
export function schedulesCommandDeps(input: SchedulesCommandInput): SchedulesCommandDeps {
  const { env } = input;
  return {
    store: input.store,
    tenants: input.tenants,
    storage: env.OMNICLOUD_STORAGE,
    ...(input.beforeSync ? { beforeSync: input.beforeSync } : {}),
    async eventBridge(where) {
      const target = await resolveTarget(env, where, input.stackOutputs ?? awsCliStackOutputs);
      const { createSchedulerClient } = await import('../aws/scheduler.js');
      const options = awsClientOptions(env, 'SCHEDULER');
      const client = createSchedulerClient(where.region ? { ...options, region: where.region } : options);
      return { client, target, close: () => client.destroy() };
    },
    async reconcile({ client, target, tenants, records, dryRun }) {
      const { reconcileEventBridge } = await import('../schedules/eventbridge/reconcile.js');
      return reconcileEventBridge({
        client,
        ...target,
        tenants,
        records,
        dryRun,
        logger: input.logger.child({ component: 'schedules:eventbridge' }),
      });
    },
    close: input.close,
  };
}
