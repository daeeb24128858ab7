import { z } from 'zod';
import type { Update } from 'grammy/types';
import { MAX_EPOCH_MS } from '../../core/clock.js';

const int = z.number().int().safe();
// Ids, dates and text length are bounded like the queue's wire format (queue/message.ts), so an
// update accepted here can never become a message the SQS consumer refuses to decode.
/** A Telegram `date` (epoch seconds): its milliseconds stay within a `Date` (the queue's `messageTime`). */
const epochSeconds = int.min(0).max(MAX_EPOCH_MS / 1000);
// Names and titles: Telegram allows 64–128 characters; room to spare but bounded (the ingress cuts
// an author's name to the wire's 128, a username to 64). They are typed because the ingress reads
// them (who sent a message, who wrote the message it replies to).
const name = z.string().max(256);
const user = z.looseObject({
  id: int.positive(),
  is_bot: z.boolean(),
  first_name: name,
  last_name: name.optional(),
  username: name.optional(),
});
const chat = z.looseObject({
  id: int,
  type: z.enum(['private', 'group', 'supergroup', 'channel']),
  title: name.optional(),
  username: name.optional(),
  first_name: name.optional(),
  last_name: name.optional(),
});
// Files are only named in the queue (ids, sizes, the claimed name and type): bounded like its
// wire format too. A photo comes in a handful of sizes; an album part carries one photo.
const fileId = z.string().min(1).max(256);
const fileUniqueId = z.string().min(1).max(64);
const photoSize = z.looseObject({
  file_id: fileId,
  file_unique_id: fileUniqueId,
  width: int.nonnegative(),
  height: int.nonnegative(),
  file_size: int.nonnegative().optional(),
});
const document = z.looseObject({
  file_id: fileId,
  file_unique_id: fileUniqueId,
  file_name: z.string().max(1024).optional(),
  mime_type: z.string().max(256).optional(),
  file_size: int.nonnegative().optional(),
});
// Telegram sends at most 4096 characters of text, 1024 of caption; room for a command template.
const messageText = z.string().max(16_384);
/** The message a message replies to, as the ingress reads it (`message-context.ts`): no deeper reply. */
const repliedTo = z.looseObject({
  message_id: int.positive(),
  // 0 for a message the bot cannot access.
  date: epochSeconds,
  chat,
  from: user.optional(),
  sender_chat: chat.optional(),
  text: messageText.optional(),
  caption: messageText.optional(),
});
/** Who wrote a message of another chat a message replies to (`external_reply.origin`). */
const knownOrigin = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('user'), date: epochSeconds, sender_user: user }),
  z.looseObject({ type: z.literal('hidden_user'), date: epochSeconds, sender_user_name: name }),
  z.looseObject({ type: z.literal('chat'), date: epochSeconds, sender_chat: chat }),
  z.looseObject({ type: z.literal('channel'), date: epochSeconds, chat, message_id: int.positive() }),
]);
const KNOWN_ORIGINS: readonly string[] = ['user', 'hidden_user', 'chat', 'channel'];
// An origin type a later Bot API adds passes (its author is then unknown, `message-context.ts`):
// refusing it would make Telegram drop a user's message for a field the ingress does not need.
const laterOrigin = z.looseObject({
  type: z
    .string()
    .max(32)
    .refine((t) => !KNOWN_ORIGINS.includes(t), { error: 'a known origin type with the wrong fields' }),
});
const origin = z.union([knownOrigin, laterOrigin]);
const message = z.looseObject({
  message_id: int.positive(),
  date: epochSeconds,
  chat,
  from: user.optional(),
  text: messageText.optional(),
  message_thread_id: int.positive().optional(),
  is_topic_message: z.boolean().optional(),
  caption: messageText.optional(),
  photo: z.array(photoSize).min(1).max(20).optional(),
  document: document.optional(),
  media_group_id: z.string().min(1).max(64).optional(),
  sender_chat: chat.optional(),
  reply_to_message: repliedTo.optional(),
  quote: z.looseObject({ text: messageText }).optional(),
  external_reply: z.looseObject({ origin }).optional(),
});
const member = z.looseObject({ status: z.string().max(32), user });
const chatMemberUpdated = z.looseObject({
  chat,
  from: user,
  date: epochSeconds,
  old_chat_member: member,
  new_chat_member: member,
});
const utf8Bytes = (s: string): number => new TextEncoder().encode(s).length;
// A button press: Telegram's ids are short strings and `callback_data` is 1–64 bytes; the message
// the button is on may be missing (inline mode) or inaccessible (`date` 0, no text).
const callbackQuery = z.looseObject({
  id: z.string().min(1).max(64),
  from: user,
  message: message.optional(),
  chat_instance: z.string().max(64).optional(),
  data: z
    .string()
    .max(64)
    .refine((d) => utf8Bytes(d) >= 1 && utf8Bytes(d) <= 64, { error: 'callback data must be 1–64 bytes' })
    .optional(),
});

/**
 * The fields the ingress reads, checked before grammY sees the update: a body with the wrong
 * types is rejected with 400 instead of failing deep inside a handler. Unknown update kinds pass.
 */
export const UPDATE_SCHEMA = z.looseObject({
  update_id: int.nonnegative(),
  message: message.optional(),
  edited_message: message.optional(),
  my_chat_member: chatMemberUpdated.optional(),
  callback_query: callbackQuery.optional(),
});

export function parseUpdate(value: unknown): { ok: true; update: Update } | { ok: false; error: string } {
  const parsed = UPDATE_SCHEMA.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') || '(root)';
    return { ok: false, error: `${path}: ${issue?.message ?? 'invalid update'}` };
  }
  return { ok: true, update: parsed.data as unknown as Update };
}
