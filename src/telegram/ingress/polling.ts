import type { Bot } from 'grammy';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';

/**
 * Update kinds the ingress handles, asked for by polling and by the webhook registration
 * (`omnicloud telegram set-webhook`): Telegram keeps the last list it was given, so a bot once
 * polled without `callback_query` would never see a Stop button pressed.
 */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'my_chat_member', 'callback_query'] as const;

export interface PollingHandle {
  /** Stops long polling; resolves when the current batch is handled. */
  stop(): Promise<void>;
  /** Settles when polling ends (rejects if it crashed). */
  readonly done: Promise<void>;
}

/**
 * Local mode without a public URL: long polling with the same middleware as the webhook. Updates
 * are handled one after another, which keeps each chat's enqueue order (the ingress is fast: it
 * only enqueues). Errors of single updates reach `bot.catch` and do not stop polling.
 */
export function startTelegramPolling(bot: Bot, options: { logger?: Logger } = {}): PollingHandle {
  const logger = options.logger ?? silentLogger;
  const done = bot.start({
    allowed_updates: [...ALLOWED_UPDATES],
    onStart: (me) => logger.info('telegram: long polling started', { bot: me.username }),
  });
  return {
    done,
    async stop() {
      await bot.stop();
      await done.catch(() => undefined);
    },
  };
}
