import type { Message } from 'grammy/types';
import type { ConversationKey } from '../../core/keys.js';
import type { QueuedMessage, TelegramAttachment, TelegramSource } from '../../queue/types.js';
import { messageContextOf } from './message-context.js';

/** Where the work goes and its answer: the conversation, and the topic / message to reply to. */
export interface EnqueueTarget {
  key: ConversationKey;
  threadId?: number;
  /** Default: the user's message. */
  replyToMessageId?: number;
}

/**
 * What to queue for a message: a turn with its prompt (and the files sent with it, an album's
 * `mediaGroupId`), or a command acting on its conversation.
 */
export type QueuedWork =
  | { kind: 'agent'; text: string; attachments?: TelegramAttachment[]; mediaGroupId?: string }
  | { kind: 'reset' | 'debug' | 'cost' }
  | { kind: 'sessions'; limit?: number }
  | { kind: 'setting'; field: 'model' | 'agent'; value?: string | null };

/** The Telegram source of a work item: the update, its sender, and where to answer. */
export function telegramSource(updateId: number, message: Message, target: EnqueueTarget): TelegramSource {
  return {
    type: 'telegram',
    updateId,
    ...(message.from ? { userId: message.from.id } : {}),
    replyTo: {
      chatId: message.chat.id,
      ...(target.threadId !== undefined ? { threadId: target.threadId } : {}),
      replyToMessageId: target.replyToMessageId ?? message.message_id,
    },
  };
}

/**
 * Build the queued work item for a message (or for a command acting on its conversation). A turn
 * carries who sent the message (in groups) and what it replies to; `botId` (`ctx.me.id`) tells a
 * reply to the bot's own answer from a reply to anyone else.
 */
export function queuedFrom(
  updateId: number,
  message: Message,
  target: EnqueueTarget,
  work: QueuedWork,
  botId: number,
): QueuedMessage {
  const base = { key: target.key, source: telegramSource(updateId, message, target) };
  if (work.kind === 'agent') {
    return {
      kind: 'agent',
      ...base,
      text: work.text,
      messageTime: message.date * 1000,
      ...(work.attachments?.length ? { attachments: work.attachments } : {}),
      ...(work.mediaGroupId !== undefined ? { mediaGroupId: work.mediaGroupId } : {}),
      ...messageContextOf(message, botId),
    };
  }
  if (work.kind === 'sessions') {
    return { kind: 'sessions', ...base, ...(work.limit !== undefined ? { limit: work.limit } : {}) };
  }
  if (work.kind === 'setting') {
    return {
      kind: 'setting',
      ...base,
      field: work.field,
      ...(work.value !== undefined ? { value: work.value } : {}),
    };
  }
  return { kind: work.kind, ...base };
}
