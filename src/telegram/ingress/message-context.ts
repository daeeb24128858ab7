import type { Chat, Message, MessageOrigin, User } from 'grammy/types';
import { MAX_AUTHOR_NAME, MAX_QUOTE_TEXT, MAX_USERNAME } from '../../queue/message.js';
import type { AgentWork, TelegramAuthor, TelegramQuote } from '../../queue/types.js';

/**
 * What the agent is told about a message besides its text (issue 17), read from the update here
 * (the worker never sees the update): in a group, who sent it; in any chat, what it replies to.
 * Values are cut to the wire's bounds (`queue/message.ts`) with `…`; nothing else is judged here —
 * the runner escapes them when it renders them.
 */
export function messageContextOf(message: Message, botId: number): Pick<AgentWork, 'sender' | 'quote'> {
  const sender = senderOf(message);
  const quote = quoteOf(message, botId);
  return { ...(sender ? { sender } : {}), ...(quote ? { quote } : {}) };
}

/**
 * The sender of a group message: the chat it was sent on behalf of (a channel, the group's
 * anonymous admins — `from` is then a placeholder bot), else the user. Undefined outside groups:
 * a private chat has one person, who needs no introduction in every message.
 */
export function senderOf(message: Message): TelegramAuthor | undefined {
  if (message.chat.type !== 'group' && message.chat.type !== 'supergroup') return undefined;
  if (message.sender_chat) return chatAuthor(message.sender_chat);
  return message.from ? userAuthor(message.from) : undefined;
}

/**
 * What a message replies to: the fragment the user quoted (`quote`), else the replied message's
 * text or caption, and who wrote it (the bot itself: `fromBot`). Every message of a forum topic
 * "replies" to the topic's creation (a service message) without the user asking for it: that is
 * no reply. A reply to a message of another chat (`external_reply`) has only the quoted fragment
 * and the origin's author.
 */
export function quoteOf(message: Message, botId: number): TelegramQuote | undefined {
  const reply = message.reply_to_message;
  if (reply && !opensTopic(message, reply)) {
    const fromBot = reply.sender_chat === undefined && reply.from?.id === botId;
    const author = reply.sender_chat
      ? chatAuthor(reply.sender_chat)
      : reply.from
        ? userAuthor(reply.from)
        : undefined;
    return quote(
      message.quote?.text ?? reply.text ?? reply.caption ?? '',
      fromBot ? undefined : author,
      fromBot,
    );
  }
  const external = message.external_reply;
  if (external) {
    const author = originAuthor(external.origin);
    const fromBot = external.origin.type === 'user' && external.origin.sender_user.id === botId;
    return quote(message.quote?.text ?? '', fromBot ? undefined : author, fromBot);
  }
  return undefined;
}

/** The implicit reply of a topic message to the topic's creation (its service message). */
function opensTopic(message: Message, reply: NonNullable<Message['reply_to_message']>): boolean {
  return (
    reply.forum_topic_created !== undefined ||
    (message.is_topic_message === true && reply.message_id === message.message_thread_id)
  );
}

function quote(text: string, from: TelegramAuthor | undefined, fromBot: boolean): TelegramQuote {
  return { text: clip(text, MAX_QUOTE_TEXT), ...(from ? { from } : {}), fromBot };
}

function userAuthor(user: User): TelegramAuthor {
  return author(fullName(user.first_name, user.last_name), user.id, user.username);
}

/** A chat posting as itself (a channel, a group's anonymous admins): its title. */
function chatAuthor(chat: Chat): TelegramAuthor {
  const name = 'title' in chat ? chat.title : undefined;
  const fallback = 'first_name' in chat ? fullName(chat.first_name, chat.last_name) : '';
  return author(name ?? fallback, chat.id, 'username' in chat ? chat.username : undefined);
}

function fullName(first: string | undefined, last: string | undefined): string {
  return [first, last].filter((n) => n !== undefined && n !== '').join(' ');
}

/** The author of a message from another chat; a user who hides their account has no id: unknown. */
function originAuthor(origin: MessageOrigin): TelegramAuthor | undefined {
  switch (origin.type) {
    case 'user':
      return userAuthor(origin.sender_user);
    case 'chat':
      return chatAuthor(origin.sender_chat);
    case 'channel':
      return chatAuthor(origin.chat);
    case 'hidden_user':
      return undefined;
  }
}

function author(name: string, id: number, username: string | undefined): TelegramAuthor {
  return {
    name: clip(name, MAX_AUTHOR_NAME),
    id,
    ...(username ? { username: clip(username, MAX_USERNAME) } : {}),
  };
}

/**
 * `text` cut to at most `max` UTF-16 units (the wire's measure), ending in `…` when cut; never in
 * the middle of a surrogate pair (an emoji).
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}
