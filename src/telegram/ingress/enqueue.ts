import type { Message } from 'grammy/types';
import type { ConversationKey } from '../../core/keys.js';
import type { QueuedKind, QueuedMessage } from '../../queue/types.js';

/** Build the queued item for a message (or for a command acting on its conversation). */
export function queuedFrom(
  updateId: number,
  message: Message,
  target: { key: ConversationKey; threadId?: number; replyToMessageId?: number },
  kind: QueuedKind,
  text: string,
): QueuedMessage {
  return {
    key: target.key,
    updateId,
    kind,
    text,
    messageTime: message.date * 1000,
    chatId: message.chat.id,
    ...(target.threadId !== undefined ? { threadId: target.threadId } : {}),
    replyToMessageId: target.replyToMessageId ?? message.message_id,
    ...(message.from ? { userId: message.from.id } : {}),
  };
}
