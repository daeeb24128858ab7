import { z } from 'zod';
import type { Update } from 'grammy/types';

const int = z.number().int().safe();
// Ids, dates and text length are bounded like the queue's wire format (queue/message.ts), so an
// update accepted here can never become a message the SQS consumer refuses to decode.
const user = z.looseObject({ id: int.positive(), is_bot: z.boolean(), first_name: z.string() });
const chat = z.looseObject({ id: int, type: z.enum(['private', 'group', 'supergroup', 'channel']) });
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
const message = z.looseObject({
  message_id: int.positive(),
  date: int.nonnegative(),
  chat,
  from: user.optional(),
  // Telegram sends at most 4096 characters; this leaves room for a command template around it.
  text: z.string().max(16_384).optional(),
  message_thread_id: int.positive().optional(),
  is_topic_message: z.boolean().optional(),
  // Telegram allows 1024 characters; like `text`, room to spare but bounded.
  caption: z.string().max(16_384).optional(),
  photo: z.array(photoSize).min(1).max(20).optional(),
  document: document.optional(),
  media_group_id: z.string().min(1).max(64).optional(),
});
const member = z.looseObject({ status: z.string(), user });
const chatMemberUpdated = z.looseObject({
  chat,
  from: user,
  date: int,
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
    .refine((d) => utf8Bytes(d) >= 1 && utf8Bytes(d) <= 64, { error: 'callback data must be 1–64 bytes' })
    .optional(),
});

/**
 * The fields the ingress reads, checked before grammY sees the update: a body with the wrong
 * types is rejected with 400 instead of failing deep inside a handler. Unknown update kinds pass.
 */
const updateSchema = z.looseObject({
  update_id: int.nonnegative(),
  message: message.optional(),
  edited_message: message.optional(),
  my_chat_member: chatMemberUpdated.optional(),
  callback_query: callbackQuery.optional(),
});

export function parseUpdate(value: unknown): { ok: true; update: Update } | { ok: false; error: string } {
  const parsed = updateSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? 'invalid update' };
  return { ok: true, update: parsed.data as unknown as Update };
}
