import type { Bot } from 'grammy';
import type { TenantId } from '../core/ids.js';
import { silentLogger } from '../core/logger.js';
import type { QueueHandler } from '../queue/types.js';
import { createIngressBot, type IngressBotOptions } from './ingress/ingress-bot.js';
import { createTelegramWorker, type TelegramWorkerDeps } from './worker/worker.js';

export interface TenantBotOptions extends IngressBotOptions {
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
 * The one place a tenant's bot is wired with its worker (local service, queue workers): the bot
 * with its ingress (`createIngressBot`, which the webhook Lambda uses alone so its bundle carries
 * no worker code), then the worker on the bot's API with the tenant's logger.
 */
export function createTenantBot(
  options: TenantBotOptions & { worker: TenantBotOptions['worker'] & object },
): TenantBot & { readonly worker: QueueHandler };
export function createTenantBot(options: TenantBotOptions): TenantBot;
export function createTenantBot(options: TenantBotOptions): TenantBot {
  const { worker, ...ingressOptions } = options;
  const logger = options.logger ?? silentLogger;
  const bot = createIngressBot(ingressOptions);
  return {
    tenant: options.tenant,
    bot,
    worker: worker ? createTelegramWorker({ ...worker, api: bot.api, logger }) : undefined,
  };
}
