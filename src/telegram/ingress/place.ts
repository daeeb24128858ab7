import type { Message } from 'grammy/types';
import { conversationKey, type ConversationKey } from '../../core/keys.js';
import type { TenantId } from '../../core/ids.js';

/**
 * Where a message was sent, in conversation terms:
 * - `private`: a private chat — one conversation per chat;
 * - `topic`: a forum topic — one conversation per topic;
 * - `general`: the General topic of a forum — not a conversation (hint to use `/newchat`);
 * - `group`: a group without topics — a conversation only if the config allows non-forum groups;
 * - `other`: channels and anything else — ignored.
 */
export type Place =
  | { kind: 'private' | 'topic' | 'group'; chatId: number; threadId?: number; key: ConversationKey }
  | { kind: 'general'; chatId: number }
  | { kind: 'other'; chatId: number };

export function placeOf(tenant: TenantId, message: Message): Place {
  const chat = message.chat;
  const chatId = chat.id;
  if (chat.type === 'private') {
    return { kind: 'private', chatId, key: conversationKey({ tenant, chat: chatId }) };
  }
  if (chat.type === 'supergroup' && chat.is_forum === true) {
    const threadId = message.is_topic_message === true ? message.message_thread_id : undefined;
    if (threadId === undefined) return { kind: 'general', chatId };
    return {
      kind: 'topic',
      chatId,
      threadId,
      key: conversationKey({ tenant, chat: chatId, thread: threadId }),
    };
  }
  if (chat.type === 'group' || chat.type === 'supergroup') {
    return { kind: 'group', chatId, key: conversationKey({ tenant, chat: chatId }) };
  }
  return { kind: 'other', chatId };
}

/**
 * `placeOf`, with a group without topics counted as `other` unless the bot answers there
 * (`nonForumGroups: respond`): the one rule for messages, edited messages and button presses.
 */
export function placeWithin(
  tenant: TenantId,
  message: Message,
  nonForumGroups: 'ignore' | 'respond' | undefined,
): Place {
  const place = placeOf(tenant, message);
  return place.kind === 'group' && nonForumGroups !== 'respond'
    ? { kind: 'other', chatId: place.chatId }
    : place;
}

/**
 * Link to a forum topic. Works for supergroups (ids `-100<internal>`); members open it in the app.
 */
export function topicLink(chatId: number, threadId: number, username?: string): string {
  if (username) return `https://t.me/${username}/${threadId}`;
  const internal = String(chatId).replace(/^-100/, '');
  return `https://t.me/c/${internal}/${threadId}`;
}
