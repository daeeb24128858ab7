/**
 * The Telegram bot, shared parts: bot construction (`createTelegramBot`), the commands file and
 * access policy, the command list and menu, `createTenantBot` (the one place a tenant's bot gets
 * its ingress and/or worker), and the in-process service (ingress + queue + worker
 * for local mode and tests). The concerns live in subfolders with their own barrels: `ingress/`,
 * `worker/`, `dedupe/`. Safe to import anywhere: it loads neither better-sqlite3 nor the AWS SDK.
 */
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
export { registerCommandMenu } from './menu.js';
export { probeBotInChat } from './chat-probe.js';
export { createTenantBot, type TenantBot, type TenantBotOptions } from './tenant-bot.js';
export {
  createTelegramService,
  type QueueFactory,
  type TelegramService,
  type TelegramServiceDeps,
} from './service.js';
