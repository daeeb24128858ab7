import type { Api } from 'grammy';
import type { ApprovalNotice, ApprovalRecord } from '../../approvals/types.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TelegramReplyTarget } from '../../queue/types.js';
import { isNotModified, isParseEntitiesError } from '../bot-api-errors.js';
import {
  approvalOutcomeView,
  approvalRequestView,
  plainOf,
  type ApprovalOutcome,
  type ApprovalShown,
} from './view.js';

/**
 * Send the approval message with its three buttons, as a reply in the target's chat and topic.
 * MarkdownV2 Telegram refuses is sent as plain text. Returns where it is (for `setNotice`).
 */
export async function sendApprovalRequest(
  api: Api,
  target: TelegramReplyTarget,
  shown: ApprovalShown,
  now: number,
): Promise<ApprovalNotice> {
  const view = approvalRequestView(shown, now);
  const options = {
    ...(target.threadId !== undefined ? { message_thread_id: target.threadId } : {}),
    ...(target.replyToMessageId !== undefined
      ? { reply_parameters: { message_id: target.replyToMessageId, allow_sending_without_reply: true } }
      : {}),
    link_preview_options: { is_disabled: true },
    reply_markup: view.keyboard,
  };
  try {
    const sent = await api.sendMessage(target.chatId, view.text, { ...options, parse_mode: 'MarkdownV2' });
    return { chatId: target.chatId, messageId: sent.message_id };
  } catch (err) {
    if (!isParseEntitiesError(err)) throw err;
    const sent = await api.sendMessage(target.chatId, plainOf(view.text), options);
    return { chatId: target.chatId, messageId: sent.message_id };
  }
}

/**
 * Edit a request's message to say how it ended and remove its buttons. Best effort: a message
 * that is gone or already says so is logged, never thrown (the decision stands either way).
 * `false` when the request has no notice or the edit failed.
 */
export async function editApprovalNotice(
  api: Api,
  record: Pick<ApprovalRecord, 'tool' | 'summary' | 'notice'>,
  outcome: ApprovalOutcome,
  logger: Logger,
): Promise<boolean> {
  const notice = record.notice;
  if (!notice) return false;
  const text = approvalOutcomeView(record, outcome);
  const options = { link_preview_options: { is_disabled: true }, reply_markup: { inline_keyboard: [] } };
  try {
    try {
      await api.editMessageText(notice.chatId, notice.messageId, text, {
        ...options,
        parse_mode: 'MarkdownV2',
      });
    } catch (err) {
      if (!isParseEntitiesError(err)) throw err;
      await api.editMessageText(notice.chatId, notice.messageId, plainOf(text), options);
    }
    return true;
  } catch (err) {
    if (isNotModified(err)) return true;
    logger.warn('telegram: could not update an approval message', {
      chatId: notice.chatId,
      error: errorMessage(err),
    });
    return false;
  }
}
