import type { Bot } from 'grammy';
import type { TenantId } from '../core/ids.js';
import { silentLogger } from '../core/logger.js';
import type { QueueHandler } from '../queue/types.js';
import { createTelegramBot, type TelegramBotOptions } from './bot.js';
import { createIngress, type IngressDeps } from './ingress/ingress.js';
import { createTelegramWorker, type TelegramWorkerDeps } from './worker/worker.js';

export interface TenantBotOptions extends TelegramBotOptions {
  tenant: TenantId;
  /** Install the ingress (dedupe → rules → commands → enqueue) on the bot: webhook and polling. */
  ingress?: Omit<IngressDeps, 'tenant' | 'logger'>;
  /** Build the queue handler that answers with this bot (worker processes). */
  worker?: Omit<TelegramWorkerDeps, 'api' | 'logger'>;
}

/** One tenant's bot, with its ingress installed and/or its worker built on the bot's API. */
export interface TenantBot {
  readonly tenant: TenantId;
  readonly bot: Bot;
  readonly worker: QueueHandler | undefined;
}

/**
 * The one place a tenant's bot is wired (local service, webhook Lambda, queue workers): the
 * grammY bot (`createTelegramBot`: 429s honoured, one `bot.catch`), then the ingress composer
 * and/or the worker with the tenant's logger.
 */
export function createTenantBot(
  options: TenantBotOptions & { worker: TenantBotOptions['worker'] & object },
): TenantBot & { readonly worker: QueueHandler };
export function createTenantBot(options: TenantBotOptions): TenantBot;
export function createTenantBot(options: TenantBotOptions): TenantBot {
  const { tenant, ingress, worker, ...botOptions } = options;
  const logger = options.logger ?? silentLogger;
  const bot = createTelegramBot(botOptions);
  if (ingress) bot.use(createIngress({ ...ingress, tenant, logger }));
  return {
    tenant,
    bot,
    worker: worker ? createTelegramWorker({ ...worker, api: bot.api, logger }) : undefined,
  };
}
