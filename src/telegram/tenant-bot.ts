import { Api, type Bot } from 'grammy';
import type { TenantId } from '../core/ids.js';
import { silentLogger } from '../core/logger.js';
import type { QueueHandler } from '../queue/types.js';
import { createIngressBot, type IngressBotOptions } from './ingress/ingress-bot.js';
import { createSendPacer } from './send-budget/pacer.js';
import { sendBudgetTransformer } from './send-budget/transformer.js';
import type { SendBudget, SendLimits } from './send-budget/types.js';
import { createTelegramWorker, type TelegramWorkerDeps } from './worker/worker.js';

export interface TenantBotOptions extends Omit<IngressBotOptions, 'sendPacer'> {
  /** Build the queue handler that answers with this bot (worker processes). */
  worker?: Omit<TelegramWorkerDeps, 'api' | 'logger'>;
  /**
   * This bot's send budget (in-process or shared between workers); without it nothing is paced
   * beyond the live replies' own per-chat interval.
   */
  sendBudget?: SendBudget;
  /** Per-chat intervals of the pacer (default `SEND_LIMIT_DEFAULTS`). */
  sendLimits?: Partial<Pick<SendLimits, 'chatIntervalMs' | 'groupIntervalMs'>>;
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
 * no worker code), then the worker on the bot's API with the tenant's logger. With a send budget,
 * one pacer serves both of the worker's APIs: the bot's (replies wait for their slot) and the live
 * one (drafts, edits, "typing…" go only when a slot is free now), and the budget tells the worker
 * when a reply's slot is far (the reply outbox: a queue that can bring the work back defers it).
 */
export function createTenantBot(
  options: TenantBotOptions & { worker: TenantBotOptions['worker'] & object },
): TenantBot & { readonly worker: QueueHandler };
export function createTenantBot(options: TenantBotOptions): TenantBot;
export function createTenantBot(options: TenantBotOptions): TenantBot {
  const { worker, sendBudget, sendLimits, ...ingressOptions } = options;
  const logger = options.logger ?? silentLogger;
  const sendPacer = sendBudget
    ? createSendPacer({ budget: sendBudget, ...(sendLimits ? { limits: sendLimits } : {}) })
    : undefined;
  const bot = createIngressBot({ ...ingressOptions, ...(sendPacer ? { sendPacer } : {}) });
  const liveApi = (): Api | undefined => {
    if (!sendPacer || worker?.liveApi) return worker?.liveApi;
    const api = new Api(bot.api.token, bot.api.options);
    api.config.use(sendBudgetTransformer(sendPacer, 'now'));
    return api;
  };
  const live = worker ? liveApi() : undefined;
  return {
    tenant: options.tenant,
    bot,
    worker: worker
      ? createTelegramWorker({
          ...(sendBudget ? { outbox: { nextSlot: (now: number) => sendBudget.nextSlot(now) } } : {}),
          ...worker,
          ...(live ? { liveApi: live } : {}),
          api: bot.api,
          logger,
        })
      : undefined,
  };
}
