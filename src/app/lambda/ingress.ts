import type { AppEnv } from '../../config/env.js';
import { ConfigError, type ConfigIssue } from '../../core/errors.js';
import { parseTenantId } from '../../core/ids.js';
import { createLogger } from '../../core/logger.js';
import { createSqsQueue } from '../../queue/sqs-producer.js';
import { TELEGRAM_COMMANDS } from '../../generated/telegram-commands.js';
import { createTelegramBot } from '../../telegram/bot.js';
import { parseCommandsConfig } from '../../telegram/config.js';
import { createDynamoDeduper } from '../../telegram/dedupe-dynamo.js';
import { createIngress } from '../../telegram/ingress.js';
import {
  createTelegramWebhookLambda,
  type ApiGatewayV2Event,
  type ApiGatewayV2Result,
} from '../../telegram/lambda.js';
import { createDynamoDocumentClient, createSqsClient } from './clients.js';
import type { LambdaEnv } from './env.js';

export type IngressHandler = (event: ApiGatewayV2Event) => Promise<ApiGatewayV2Result>;

function required(env: AppEnv, names: Array<keyof AppEnv>): void {
  const issues: ConfigIssue[] = names
    .filter((name) => !env[name])
    .map((name) => ({
      file: 'environment',
      field: String(name),
      message: 'required by the Telegram ingress',
    }));
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * The Telegram webhook Lambda: secret check, dedupe (DynamoDB), allowlist and commands, then
 * enqueue on the SQS FIFO queue and answer. It never loads the agent SDK (small zip, fast cold start).
 */
export async function buildIngressHandler({ env, secrets }: LambdaEnv): Promise<IngressHandler> {
  required(env, ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'QUEUE_URL', 'DEDUPE_TABLE']);
  const logger = createLogger({ level: env.OMNICLOUD_LOG_LEVEL ?? 'info', secrets, base: { fn: 'ingress' } });
  const tenant = parseTenantId(env.OMNICLOUD_TENANT);
  const bot = createTelegramBot({
    token: env.TELEGRAM_BOT_TOKEN as string,
    apiRoot: env.TELEGRAM_API_ROOT,
    logger,
  });
  bot.use(
    createIngress({
      tenant,
      queue: createSqsQueue({ client: createSqsClient(env), queueUrl: env.QUEUE_URL as string }),
      deduper: createDynamoDeduper({
        dynamo: createDynamoDocumentClient(env),
        table: env.DEDUPE_TABLE as string,
      }),
      // Baked in at build time (the zip carries no agent-config folder): scripts/generate-commands.ts.
      commands: parseCommandsConfig(TELEGRAM_COMMANDS, 'agent-config/commands.yaml'),
      policy: env.TELEGRAM_ALLOWED_USERS ? { allowedUserIds: env.TELEGRAM_ALLOWED_USERS.map(Number) } : {},
      logger,
    }),
  );
  // One getMe per cold start: grammY needs the bot's identity to handle updates (@botname suffixes).
  await bot.init();
  const secretToken = env.TELEGRAM_WEBHOOK_SECRET as string;
  return createTelegramWebhookLambda({
    resolve: (t) => (t === tenant ? { bot, secretToken } : undefined),
    logger,
  });
}
