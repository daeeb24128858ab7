import { z } from 'zod';
import type { Update } from 'grammy/types';

const int = z.number().int().safe();
const user = z.looseObject({ id: int, is_bot: z.boolean(), first_name: z.string() });
const chat = z.looseObject({ id: int, type: z.enum(['private', 'group', 'supergroup', 'channel']) });
const message = z.looseObject({
  message_id: int,
  date: int,
  chat,
  from: user.optional(),
  text: z.string().max(65_536).optional(),
  message_thread_id: int.optional(),
  is_topic_message: z.boolean().optional(),
});
const member = z.looseObject({ status: z.string(), user });
const chatMemberUpdated = z.looseObject({
  chat,
  from: user,
  date: int,
  old_chat_member: member,
  new_chat_member: member,
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
});

export function parseUpdate(value: unknown): { ok: true; update: Update } | { ok: false; error: string } {
  const parsed = updateSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? 'invalid update' };
  return { ok: true, update: parsed.data as unknown as Update };
}
