export { createTelegramBot, describeBotError, type TelegramBotOptions } from './bot.js';
export {
  BUILTIN_COMMANDS,
  commandsFileSchema,
  parseCommandsConfig,
  type AccessPolicy,
  type CommandsConfig,
  type ConfiguredCommand,
} from './config.js';
export { menuCommands, helpText } from './commands.js';
export { createMemoryDeduper, DEFAULT_DEDUPE_TTL_MS, type UpdateDeduper } from './dedupe.js';
export { createSqliteDeduper, type SqliteDeduperOptions } from './dedupe-sqlite.js';
export { createDynamoDeduper, dedupeKey, type DynamoDeduperOptions } from './dedupe-dynamo.js';
export { createIngress, type IngressDeps } from './ingress.js';
export {
  mountTelegramWebhook,
  TELEGRAM_WEBHOOK_PATH,
  type TelegramWebhookOptions,
  type WebhookTenant,
} from './webhook.js';
export { createTelegramWebhookLambda, type ApiGatewayV2Event, type ApiGatewayV2Result } from './lambda.js';
export { startTelegramPolling, ALLOWED_UPDATES, type PollingHandle } from './polling.js';
export { formatForTelegram, TELEGRAM_TEXT_LIMIT, type TelegramChunk } from './format.js';
export { sendMarkdown, type ReplyTarget } from './reply.js';
export { createTelegramWorker, type TelegramWorkerDeps } from './worker.js';
export type { ConversationUsage, TranscriptExporter, TranscriptFile, UsageReader } from './worker-types.js';
export {
  createTelegramService,
  type QueueFactory,
  type TelegramService,
  type TelegramServiceDeps,
} from './service.js';
