import { awsClientOptions } from '../aws/index.js';
import { systemClock } from '../core/clock.js';
import type { EventRoutesDeps } from '../events/index.js';
import { createScheduleService, type ScheduleService } from '../schedules/service.js';
import { assertEventTokens, eventTenantLookup } from './event-tenants.js';
import { agentConfigsOf, agentNamesOf, chatProbeOf } from './proactive.js';
import { buildScheduleSync } from './schedule-sync.js';
import type { AppDeps } from './types.js';

/** The API's schedules routes and, where a queue is configured, its alert endpoint. */
export interface ApiProactive {
  schedules: ScheduleService;
  /** `POST /v1/events/:tenant`: only with `QUEUE_URL` (a worker must consume what it enqueues). */
  events?: EventRoutesDeps;
  close(): void;
}

/**
 * What the API serves for issue 16: `/v1/schedules/:tenant` over the storage's schedule store, synced
 * to EventBridge Scheduler on AWS (`buildScheduleSync`), and `/v1/events/:tenant`, which puts alert
 * items on the work queue named by `QUEUE_URL` (the AWS API function). `omnicloud serve` alone has
 * no queue worker, so it serves no events: `npm start` with bots does.
 */
export async function buildApiProactive(deps: AppDeps): Promise<ApiProactive> {
  const { sync, close } = await buildScheduleSync(deps.env, deps.logger);
  const configs = agentConfigsOf(deps);
  const schedules = createScheduleService({
    store: deps.storage.schedules,
    sync,
    clock: systemClock,
    agentsOf: agentNamesOf(configs),
    probeChat: chatProbeOf(deps),
  });
  if (!deps.env.QUEUE_URL) return { schedules, close };
  assertEventTokens(deps.env, deps.tenants);
  // The SQS SDK only where alerts are taken (the AWS API function), not at every API start.
  const { createSqsClient } = await import('../aws/sqs.js');
  const { createSqsQueue } = await import('../queue/sqs-producer.js');
  const client = createSqsClient(awsClientOptions(deps.env, 'SQS'));
  return {
    schedules,
    events: {
      tenants: eventTenantLookup(deps.tenants, configs),
      claims: deps.storage.claims,
      queue: createSqsQueue({ client, queueUrl: deps.env.QUEUE_URL }),
      logger: deps.logger.child({ component: 'events' }),
    },
    close: () => {
      close();
      client.destroy();
    },
  };
}
