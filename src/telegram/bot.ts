import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, BotError, GrammyError, HttpError, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { sendBudgetTransformer } from './send-budget/transformer.js';
import type { SendPacer } from './send-budget/pacer.js';

export interface TelegramBotOptions {
  token: string;
  /** Known bot info (skips `getMe`; tests and Lambda cold starts). Otherwise call `bot.init()`. */
  botInfo?: UserFromGetMe;
  /** Bot API base URL (`TELEGRAM_API_ROOT`); default the public one. */
  apiRoot?: string;
  /** Longest `retry_after` (s) worth waiting for on 429 (default 60; longer fails the call). */
  maxRetryAfterSeconds?: number;
  /**
   * Telegram's flood limits paced before each counted call (`send-budget/`): replies wait for their
   * slot instead of collecting 429s. Installed before auto-retry, so a retry takes a slot too.
   */
  sendPacer?: SendPacer;
  logger?: Logger;
}

/**
 * A grammY bot with outgoing calls paced by the send budget (when given), 429s honoured
 * (`retry_after`, auto-retry) and one `bot.catch` that
 * logs what failed: the API refused (`GrammyError`), the network failed (`HttpError`), or our code
 * threw. The ingress/worker middleware is installed by the caller.
 */
export function createTelegramBot(options: TelegramBotOptions): Bot {
  const logger = options.logger ?? silentLogger;
  const bot = new Bot(options.token, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}) },
  });
  if (options.sendPacer) bot.api.config.use(sendBudgetTransformer(options.sendPacer, 'wait'));
  bot.api.config.use(autoRetry({ maxDelaySeconds: options.maxRetryAfterSeconds ?? 60, maxRetryAttempts: 5 }));
  bot.catch((err) => logger.error('telegram: update failed', describeBotError(err)));
  return bot;
}

/** Log fields for a failed update: which update, and what kind of failure. */
export function describeBotError(err: BotError<Context> | unknown): Record<string, unknown> {
  const updateId = err instanceof BotError ? err.ctx.update.update_id : undefined;
  const cause = err instanceof BotError ? err.error : err;
  const kind =
    cause instanceof GrammyError ? 'api_refused' : cause instanceof HttpError ? 'network' : 'handler';
  return { updateId, kind, error: errorMessage(cause) };
}
