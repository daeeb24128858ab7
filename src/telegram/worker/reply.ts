import type { Api, GrammyError } from 'grammy';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { TelegramReplyTarget } from '../../queue/types.js';
import { isParseEntitiesError } from '../bot-api-errors.js';
import { formatForTelegram } from './format.js';

/** Where a reply goes: the chat, the forum topic (if any), and the user's message to reply to. */
export type ReplyTarget = TelegramReplyTarget;

/** Telegram's 400 for MarkdownV2 (or entities) it could not parse. */
function sendOptions(target: ReplyTarget, first: boolean) {
  return {
    ...(target.threadId !== undefined ? { message_thread_id: target.threadId } : {}),
    ...(first && target.replyToMessageId !== undefined
      ? { reply_parameters: { message_id: target.replyToMessageId, allow_sending_without_reply: true } }
      : {}),
    link_preview_options: { is_disabled: true },
  };
}

/** One outgoing piece of a final answer: MarkdownV2 to try first (if any), and its plain text. */
export interface ReplyChunk {
  markdownV2?: string;
  plain: string;
}

/**
 * Send one chunk (the first as a reply to the user's message). MarkdownV2 Telegram cannot parse
 * is re-sent as plain text.
 */
export async function sendChunk(
  api: Api,
  target: ReplyTarget,
  chunk: ReplyChunk,
  first: boolean,
  logger: Logger = silentLogger,
): Promise<void> {
  const options = sendOptions(target, first);
  if (chunk.markdownV2 !== undefined) {
    try {
      await api.sendMessage(target.chatId, chunk.markdownV2, { ...options, parse_mode: 'MarkdownV2' });
      return;
    } catch (err) {
      if (!isParseEntitiesError(err)) throw err;
      logger.warn('telegram: MarkdownV2 rejected, sending plain text', {
        chatId: target.chatId,
        error: (err as GrammyError).description,
      });
    }
  }
  await api.sendMessage(target.chatId, chunk.plain, options);
}

/**
 * Replace the text of one of the bot's messages with a chunk (and no keyboard), falling back to
 * plain text like `sendChunk`. Throws what Telegram refused otherwise (e.g. the message is gone).
 */
export async function editToChunk(
  api: Api,
  chatId: number,
  messageId: number,
  chunk: ReplyChunk,
  logger: Logger = silentLogger,
): Promise<void> {
  // The final answer has no keyboard: a Stop button the streamed message carried goes away.
  const options = { link_preview_options: { is_disabled: true }, reply_markup: { inline_keyboard: [] } };
  if (chunk.markdownV2 !== undefined) {
    try {
      await api.editMessageText(chatId, messageId, chunk.markdownV2, {
        ...options,
        parse_mode: 'MarkdownV2',
      });
      return;
    } catch (err) {
      if (!isParseEntitiesError(err)) throw err;
      logger.warn('telegram: MarkdownV2 rejected in an edit, using plain text', {
        chatId,
        error: (err as GrammyError).description,
      });
    }
  }
  await api.editMessageText(chatId, messageId, chunk.plain, options);
}

/**
 * Send the model's Markdown as one or more messages (split, never truncated), the first as a reply
 * to the user's message. A piece Telegram cannot parse is re-sent as plain text. Returns the
 * number of messages sent.
 */
export async function sendMarkdown(
  api: Api,
  target: ReplyTarget,
  markdown: string,
  logger: Logger = silentLogger,
): Promise<number> {
  const chunks = formatForTelegram(markdown);
  for (const [i, chunk] of chunks.entries()) await sendChunk(api, target, chunk, i === 0, logger);
  return chunks.length;
}

/** A fixed text (status, error) without parse mode, as a reply. */
export async function sendPlain(api: Api, target: ReplyTarget, text: string): Promise<void> {
  await api.sendMessage(target.chatId, text, sendOptions(target, true));
}
