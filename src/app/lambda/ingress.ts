import { awsClientOptions } from '../../aws/index.js';
import { createDynamoDocumentClient } from '../../aws/dynamodb.js';
import { createSqsClient } from '../../aws/sqs.js';
import { systemClock } from '../../core/clock.js';
import { createEmfMetrics } from '../../core/metrics.js';
import { createDynamoApprovalStore } from '../../approvals/store/dynamodb/index.js';
import { createCloudConversations } from '../../sessions/adapters/cloud/conversations.js';
import { createCloudLeases } from '../../sessions/adapters/cloud/leases.js';
import { telegramApprovalsOf } from '../telegram-approvals.js';
import { withDedupeMetrics } from '../metrics.js';
import type { Bot } from 'grammy';
import { ConfigError, type ConfigIssue } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { createSqsQueue } from '../../queue/sqs-producer.js';
import { TELEGRAM_COMMANDS } from '../../generated/telegram-commands.js';
import { accessPolicyOf, parseCommandsConfig } from '../../telegram/config.js';
import { createDynamoDeduper } from '../../telegram/dedupe/dynamo.js';
import { createIngressBot } from '../../telegram/ingress/ingress-bot.js';
import {
  createTelegramWebhookLambda,
  type ApiGatewayV2Event,
  type ApiGatewayV2Result,
} from '../../telegram/ingress/lambda.js';
import type { WebhookTenant } from '../../telegram/ingress/webhook.js';
import { tenantSecretResolver } from '../tenants.js';
import type { LambdaEnv } from './env.js';
import { loadTelegramRoutes } from './telegram-routes.js';
import { ingressSchedules } from './ingress-schedules.js';

export type IngressHandler = (event: ApiGatewayV2Event) => Promise<ApiGatewayV2Result>;

/**
 * The Telegram webhook Lambda: `/telegram/<tenant>` checked against that tenant's secret, dedupe
 * (DynamoDB, keyed by tenant), the tenant's allowlist and commands, then enqueue on the SQS FIFO
 * queue (message group = tenant:chat:thread) and answer. `/stop`, the Stop button and the busy 👀
 * read and mark the conversations' lease items in SESSION_TABLE; approval buttons read the
 * request, `/stop` may cancel it (only those items: no S3). Tenants: OMNICLOUD_TELEGRAM_TENANTS (secret
 * references, read at cold start) or the single tenant of the environment. It never loads the agent
 * SDK (small zip, fast cold start).
 */
export async function buildIngressHandler({ env, raw, secrets }: LambdaEnv): Promise<IngressHandler> {
  const issues: ConfigIssue[] = (['QUEUE_URL', 'DEDUPE_TABLE'] as const)
    .filter((name) => !env[name])
    .map((name) => ({ file: 'environment', field: name, message: 'required by the Telegram ingress' }));
  if (issues.length > 0) throw new ConfigError(issues);
  const { routes, secretValues } = await loadTelegramRoutes(env, tenantSecretResolver(env, raw));

  const logger = createLogger({
    level: env.OMNICLOUD_LOG_LEVEL ?? 'info',
    secrets: [...secrets, ...secretValues],
    base: { fn: 'ingress' },
  });
  const queue = createSqsQueue({
    client: createSqsClient(awsClientOptions(env, 'SQS')),
    queueUrl: env.QUEUE_URL as string,
  });
  // One DynamoDB client for the dedupe records and the lease items.
  const dynamo = createDynamoDocumentClient(awsClientOptions(env, 'DYNAMODB'));
  const deduper = withDedupeMetrics(
    createDynamoDeduper({ dynamo, table: env.DEDUPE_TABLE as string }),
    createEmfMetrics({ namespace: env.OMNICLOUD_METRICS_NAMESPACE }),
  );
  // The ingress never acquires a lease (the owner prefix is unused): it asks the holder to stop and
  // reads whether one is held. Without the table (an older template) both are unavailable.
  const stops = env.SESSION_TABLE
    ? createCloudLeases({ doc: dynamo, table: env.SESSION_TABLE, clock: systemClock, ownerPrefix: 'ingress' })
    : undefined;
  if (!stops) logger.warn('SESSION_TABLE is not set: /stop, the Stop button and the busy 👀 are unavailable');
  // Approval buttons read the request (GetItem); /stop cancels a pending one (conditional
  // UpdateItem) after reading the conversation map (GetItem). Nothing else of the table.
  const approvals = env.SESSION_TABLE
    ? telegramApprovalsOf({
        approvals: createDynamoApprovalStore({ doc: dynamo, table: env.SESSION_TABLE, clock: systemClock }),
        conversations: createCloudConversations({
          doc: dynamo,
          table: env.SESSION_TABLE,
          clock: systemClock,
        }),
      })
    : undefined;
  // /schedule: the schedule store and claims in the session table, synced to EventBridge Scheduler.
  const bots = new Map<string, Bot>();
  const schedules = env.SESSION_TABLE
    ? await ingressSchedules({ env, doc: dynamo, table: env.SESSION_TABLE, bots, logger })
    : undefined;
  // Baked in at build time (the zip carries no agent-config folder): scripts/generate-commands.ts.
  const commands = parseCommandsConfig(TELEGRAM_COMMANDS, 'agent-config/commands.yaml');
  const tenants = new Map<string, WebhookTenant>();
  for (const route of routes) {
    const bot = createIngressBot({
      tenant: route.tenant,
      token: route.botToken,
      apiRoot: env.TELEGRAM_API_ROOT,
      logger: logger.child({ tenant: route.tenant }),
      ingress: {
        queue,
        deduper,
        commands,
        policy: accessPolicyOf(route),
        ...(route.maxFileBytes !== undefined ? { files: { maxBytes: route.maxFileBytes } } : {}),
        ...(stops ? { stops } : {}),
        ...(approvals ? { approvals } : {}),
        ...(schedules ? { schedules } : {}),
      },
    });
    bots.set(route.tenant, bot);
    tenants.set(route.tenant, { bot, secretToken: route.webhookSecret });
  }
  // One getMe per bot per cold start: grammY needs each bot's identity (@botname suffixes).
  await Promise.all([...bots.values()].map((bot) => bot.init()));
  return createTelegramWebhookLambda({ resolve: (t) => tenants.get(t), logger });
}
