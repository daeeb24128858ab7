import type { Bot } from 'grammy';
import type { TenantId } from '../../core/ids.js';
import { silentLogger } from '../../core/logger.js';
import { createTelegramBot, type TelegramBotOptions } from '../bot.js';
import { createIngress, type IngressDeps } from './ingress.js';

export interface IngressBotOptions extends TelegramBotOptions {
  tenant: TenantId;
  /** Install the ingress (dedupe → rules → commands → enqueue) on the bot: webhook and polling. */
  ingress?: Omit<IngressDeps, 'tenant' | 'logger'>;
}

/**
 * A tenant's grammY bot (`createTelegramBot`: 429s honoured, one `bot.catch`) with its ingress
 * composer installed under the tenant's logger. The webhook Lambda's whole bot, and the base of
 * `createTenantBot` (which adds the worker). It loads no worker code, so the ingress bundle
 * carries no Markdown formatter (test/deploy/bundle.test.ts checks).
 */
export function createIngressBot(options: IngressBotOptions): Bot {
  const { tenant, ingress, ...botOptions } = options;
  const bot = createTelegramBot(botOptions);
  if (ingress) bot.use(createIngress({ ...ingress, tenant, logger: options.logger ?? silentLogger }));
  return bot;
}
