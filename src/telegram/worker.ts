import { GrammyError, HttpError, InputFile, type Api } from 'grammy';
import type { AgentRunner, TurnResult } from '../agent/types.js';
import { OmniError, errorMessage } from '../core/errors.js';
import { conversationKeyString } from '../core/keys.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Delivery, QueueHandler, QueuedMessage } from '../queue/types.js';
import { sendMarkdown, sendPlain, type ReplyTarget } from './reply.js';
import { texts } from './texts.js';
import { startTyping, TYPING_INTERVAL_MS } from './typing.js';
import type { ConversationUsage, PeriodSpend, TranscriptExporter, UsageReader } from './worker-types.js';

export interface TelegramWorkerDeps {
  /** `bot.api` (with auto-retry installed by `createTelegramBot`). */
  api: Api;
  runner: AgentRunner;
  /** For `/debug`; without it the command says it is unavailable. */
  exportTranscript?: TranscriptExporter;
  /** For `/cost`; without it the command says it is unavailable. */
  usage?: UsageReader;
  typingIntervalMs?: number;
  logger?: Logger;
}

/**
 * The queue consumer's handler: runs the queued work of one conversation and replies in the right
 * chat and topic. Transient failures are rethrown (the queue retries, and dead-letters after the
 * last receive — the user is told then); permanent ones are told to the user and acknowledged.
 * Once a turn has run, reply-sending problems are logged, never rethrown (no duplicate turns).
 */
export function createTelegramWorker(deps: TelegramWorkerDeps): QueueHandler {
  const logger = deps.logger ?? silentLogger;
  const { api } = deps;

  const notify = (target: ReplyTarget, text: string): Promise<void> =>
    sendPlain(api, target, text).catch((err: unknown) =>
      logger.error('telegram: could not send a status message', {
        chatId: target.chatId,
        error: errorMessage(err),
      }),
    );

  const runAgent = async (message: QueuedMessage, target: ReplyTarget): Promise<void> => {
    const stopTyping = startTyping(api, target, deps.typingIntervalMs ?? TYPING_INTERVAL_MS);
    let result: TurnResult;
    try {
      result = await deps.runner.runTurn({
        key: message.key,
        text: message.text,
        messageTime: new Date(message.messageTime),
        ...(message.userId !== undefined ? { userId: String(message.userId) } : {}),
      });
    } finally {
      stopTyping();
    }
    if (result.is_error) {
      logger.warn('telegram: turn ended with an error', {
        conversation: conversationKeyString(message.key),
        code: result.error_code,
        error: result.error_message,
      });
      // A budget refusal carries its own clear message (which budget, spent, when it resets).
      const budget = result.error_code === 'budget_exceeded' && result.error_message;
      await notify(target, budget || errorText(result.error_code ?? 'error'));
      return;
    }
    await deliver(
      () => sendMarkdown(api, target, result.response.trim() ? result.response : texts.emptyReply, logger),
      logger,
    );
  };

  const sendTranscript = async (message: QueuedMessage, target: ReplyTarget): Promise<void> => {
    if (!deps.exportTranscript) return notify(target, texts.debugUnavailable);
    const files = await deps.exportTranscript(message.key);
    if (files.length === 0) return notify(target, texts.debugNone);
    for (const file of files) {
      const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
      await deliver(
        () =>
          api.sendDocument(target.chatId, new InputFile(bytes, file.filename), {
            ...(target.threadId !== undefined ? { message_thread_id: target.threadId } : {}),
          }),
        logger,
      );
    }
  };

  const sendUsage = async (message: QueuedMessage, target: ReplyTarget): Promise<void> => {
    if (!deps.usage) return notify(target, texts.costUnavailable);
    const usage = await deps.usage(message.key, message.userId);
    await notify(target, usage ? formatUsage(usage) : texts.costNone);
  };

  return async (message: QueuedMessage, delivery: Delivery) => {
    const target: ReplyTarget = {
      chatId: message.chatId,
      ...(message.threadId !== undefined ? { threadId: message.threadId } : {}),
      ...(message.replyToMessageId !== undefined ? { replyToMessageId: message.replyToMessageId } : {}),
    };
    try {
      if (message.kind === 'agent') await runAgent(message, target);
      else if (message.kind === 'reset') {
        await deps.runner.resetConversation(message.key);
        await notify(target, texts.resetDone);
      } else if (message.kind === 'debug') await sendTranscript(message, target);
      else await sendUsage(message, target);
    } catch (err) {
      const transient = isTransientError(err);
      const last = delivery.receiveCount >= delivery.maxReceives;
      logger.error('telegram: queued message failed', {
        conversation: conversationKeyString(message.key),
        kind: message.kind,
        receiveCount: delivery.receiveCount,
        transient,
        error: errorMessage(err),
      });
      if (transient && !last) throw err;
      await notify(target, failureText(err));
      if (transient) throw err; // last receive: let it reach the dead-letter queue
    }
  };
}

/** Retries, unknown errors included; permanent: validation/conflict errors that will not change. */
export function isTransientError(err: unknown): boolean {
  if (err instanceof OmniError) {
    return err.status >= 500 || err.code === 'conversation_busy' || err.code === 'fenced_write';
  }
  if (err instanceof GrammyError) return err.error_code >= 500 || err.error_code === 429;
  return true;
}

function failureText(err: unknown): string {
  const code = err instanceof OmniError ? err.code : 'internal_error';
  return errorText(code);
}

/** The user's message for an error code (runner `error_code` or `OmniError.code`). */
export function errorText(code: string): string {
  switch (code) {
    case 'conversation_busy':
      return texts.busy;
    case 'session_history_unavailable':
      return texts.historyUnavailable;
    case 'history_not_persisted':
      return texts.historyNotPersisted;
    case 'api_error':
      return texts.modelError;
    default:
      return texts.failed(code);
  }
}

export function formatUsage(u: ConversationUsage): string {
  const tokens = (n: number): string => n.toLocaleString('en-US');
  const turns = (n: number): string => `${n} turn${n === 1 ? '' : 's'}`;
  const spend = (p: PeriodSpend): string => `$${p.costUsd.toFixed(4)} (${turns(p.turns)})`;
  const lines = [`This conversation: ${turns(u.turns)}, $${u.costUsd.toFixed(4)}`];
  if (u.periods) lines.push(`  today ${spend(u.periods.day)}, this month ${spend(u.periods.month)}`);
  lines.push(
    `Tokens — input ${tokens(u.inputTokens)}, output ${tokens(u.outputTokens)}, ` +
      `cache read ${tokens(u.cacheReadTokens)}, cache write ${tokens(u.cacheCreationTokens)}`,
  );
  if (u.user) {
    lines.push(
      `You: today ${spend(u.user.day)}, this month ${spend(u.user.month)}, all time ${spend(u.user.all)}`,
    );
  }
  return lines.join('\n');
}

/** After a turn ran: retry network failures a few times, then log (never rethrow). */
async function deliver(send: () => Promise<unknown>, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (err) {
      if (err instanceof HttpError && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        continue;
      }
      logger.error('telegram: reply could not be delivered', { error: errorMessage(err) });
      return;
    }
  }
}
