import { GrammyError, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import { conversationKey } from '../../core/keys.js';
import type { TenantId } from '../../core/ids.js';
import type { ConversationQueue } from '../../queue/types.js';
import { queuedFrom } from './enqueue.js';
import type { Place } from './place.js';
import { topicLink } from './place.js';
import { texts } from './texts.js';
import { topicName } from '../topic-name.js';

/**
 * `/newchat <text>` in a forum: create a topic named after the text, post the text there (so the
 * topic shows what was asked), link the topic where the command was sent, and enqueue the text as
 * the first turn of the topic's conversation.
 */
export async function handleNewChat(
  ctx: Context & { message: Message },
  place: Place,
  args: string,
  deps: { tenant: TenantId; queue: ConversationQueue },
): Promise<void> {
  if (place.kind !== 'general' && place.kind !== 'topic') {
    await ctx.reply(texts.newchatNeedsForum);
    return;
  }
  if (!args) {
    await ctx.reply(texts.newchatUsage);
    return;
  }
  const chatId = place.chatId;
  let threadId: number;
  try {
    threadId = (await ctx.api.createForumTopic(chatId, topicName(args))).message_thread_id;
  } catch (err) {
    if (err instanceof GrammyError && err.error_code === 400) {
      await ctx.reply(texts.newchatNoRights);
      return;
    }
    throw err;
  }
  const author = ctx.message.from?.first_name ?? 'You';
  const opening = await ctx.api.sendMessage(chatId, texts.newchatOpening(author, args), {
    message_thread_id: threadId,
  });
  const key = conversationKey({ tenant: deps.tenant, chat: chatId, thread: threadId });
  await deps.queue.enqueue(
    queuedFrom(
      ctx.update.update_id,
      ctx.message,
      { key, threadId, replyToMessageId: opening.message_id },
      { kind: 'agent', text: args },
      ctx.me.id,
    ),
  );
  const username = 'username' in ctx.message.chat ? ctx.message.chat.username : undefined;
  await ctx.reply(texts.newchatCreated(topicLink(chatId, threadId, username)), {
    link_preview_options: { is_disabled: true },
  });
}
