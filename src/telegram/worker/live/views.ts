import type { Api } from 'grammy';
import type { InlineKeyboardMarkup, MessageEntity } from 'grammy/types';
import type { ReplyTarget } from '../reply.js';

/** Something the live reply keeps up to date in the chat. `show` throws what Telegram refused. */
export interface LiveView {
  show(text: string, extra?: { entities?: MessageEntity[]; keyboard?: InlineKeyboardMarkup }): Promise<void>;
}

/** A message sent once, then edited in place (streamed answer in groups, the status message). */
export interface LiveMessage extends LiveView {
  /** Set once the message was sent. */
  readonly messageId: number | undefined;
}

const thread = (target: ReplyTarget) =>
  target.threadId !== undefined ? { message_thread_id: target.threadId } : {};

export function createLiveMessage(api: Api, target: ReplyTarget, options: { asReply: boolean }): LiveMessage {
  let messageId: number | undefined;
  return {
    get messageId() {
      return messageId;
    },
    async show(text, extra = {}) {
      const common = {
        link_preview_options: { is_disabled: true },
        ...(extra.entities?.length ? { entities: extra.entities } : {}),
        ...(extra.keyboard ? { reply_markup: extra.keyboard } : {}),
      };
      if (messageId !== undefined) {
        await api.editMessageText(target.chatId, messageId, text, common);
        return;
      }
      const sent = await api.sendMessage(target.chatId, text, {
        ...common,
        ...thread(target),
        ...(options.asReply && target.replyToMessageId !== undefined
          ? { reply_parameters: { message_id: target.replyToMessageId, allow_sending_without_reply: true } }
          : {}),
      });
      messageId = sent.message_id;
    },
  };
}

/** A private chat's draft: an ephemeral, animated preview (the final answer is a normal message). */
export function createDraft(api: Api, target: ReplyTarget, draftId: number): LiveView {
  return {
    async show(text) {
      await api.sendMessageDraft(target.chatId, draftId, text, thread(target));
    },
  };
}
