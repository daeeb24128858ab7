import { GrammyError, HttpError, type Api } from 'grammy';
import { errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { deliverWithRetry } from '../deliver.js';
import { formatForTelegram } from '../format.js';
import { editToChunk, sendChunk, type ReplyChunk, type ReplyTarget } from '../reply.js';
import type { FinalText } from './final-text.js';
import { isNotModified } from '../../bot-api-errors.js';

export interface FinalDelivery {
  /** With auto-retry: the final answer waits out a 429's `retry_after`. */
  api: Api;
  target: ReplyTarget;
  /** The streamed message of a group chat, turned into the first chunk (formatted) when it can be. */
  streamedMessageId?: number;
  /**
   * Resolves when the chat may take the next message (the live updates' per-chat budget), so the
   * answer does not run into the flood limit right after the last draft or edit. Optional.
   */
  pace?: () => Promise<void>;
  logger: Logger;
}

/**
 * Deliver a final answer exactly once: split (never truncated), MarkdownV2 with a plain fallback.
 * The first chunk replaces the streamed message when there is one; if Telegram refuses that edit
 * (message deleted, too old…) it is sent as a new message instead. An edit is safe to repeat
 * (a repeat is "not modified", counted as done), so a network failure is retried. `true` once
 * every chunk reached Telegram.
 */
export async function deliverFinal(final: FinalText, d: FinalDelivery): Promise<boolean> {
  const chunks: ReplyChunk[] =
    'markdown' in final ? formatForTelegram(final.markdown) : [{ plain: final.plain }];
  let next = 0;
  if (d.streamedMessageId !== undefined && chunks[0]) {
    await d.pace?.();
    if (await editStreamed(d, d.streamedMessageId, chunks[0])) next = 1;
  }
  for (let i = next; i < chunks.length; i++) {
    const chunk = chunks[i] as ReplyChunk;
    await d.pace?.();
    const sent = await deliverWithRetry(() => sendChunk(d.api, d.target, chunk, i === 0, d.logger), d.logger);
    if (!sent) return false;
  }
  return true;
}

async function editStreamed(d: FinalDelivery, messageId: number, chunk: ReplyChunk): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await editToChunk(d.api, d.target.chatId, messageId, chunk, d.logger);
      return true;
    } catch (err) {
      if (isNotModified(err)) return true;
      if (err instanceof HttpError && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
        continue;
      }
      d.logger.warn('telegram: could not turn the streamed message into the answer; sending it anew', {
        chatId: d.target.chatId,
        messageId,
        status: err instanceof GrammyError ? err.error_code : undefined,
        error: errorMessage(err),
      });
      return false;
    }
  }
}
