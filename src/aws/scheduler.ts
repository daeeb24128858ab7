import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { baseClientConfig, type AwsClientOptions } from './config.js';

/**
 * An EventBridge Scheduler client with the shared policy (the schedule sync: `schedules/eventbridge.ts`).
 * Only the ingress, the API and `omnicloud schedules sync` build one; the worker never does.
 */
export function createSchedulerClient(options: AwsClientOptions): SchedulerClient {
  return new SchedulerClient(baseClientConfig(options));
}
