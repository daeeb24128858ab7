import type { Context } from 'grammy';
import type { CallbackQuery } from 'grammy/types';
import type { ApprovalDecision, ApprovalRecord } from '../../approvals/types.js';
import type { Clock } from '../../core/clock.js';
import type { TenantId } from '../../core/ids.js';
import { conversationKeyString, sameConversation, type ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { ApprovalWork, ConversationQueue } from '../../queue/types.js';
import { editApprovalNotice, parseApprovalData, type TelegramApprovals } from '../approvals/index.js';
import { mayApprove, type AccessPolicy } from '../config.js';
import { texts } from './texts.js';

export interface ApprovalPressDeps {
  tenant: TenantId;
  policy: AccessPolicy;
  queue: ConversationQueue;
  approvals?: TelegramApprovals | undefined;
  clock: Clock;
  logger: Logger;
}

/** How the press is answered: a short notice, or an alert the user must dismiss. */
export type PressAnswer = { text: string; alert?: boolean };

/** The decider's name as the edited request message shows it. */
export function displayName(from: { first_name: string; last_name?: string; id: number }): string {
  const name = [from.first_name, from.last_name].filter(Boolean).join(' ').trim();
  return (name || `user ${from.id}`).slice(0, 128);
}

const ANSWERING: Record<ApprovalDecision, string> = {
  allow_once: texts.approvalAllowingOnce,
  allow_conversation: texts.approvalAllowingConversation,
  deny: texts.approvalDenying,
};

/**
 * An approval button (`ap:<id>:o|c|d`) pressed in `key`'s conversation (the place of the button's
 * message, never the data). Checked before anything is queued: the presser may decide (allowed to
 * talk to the bot, or an approver), the request exists, belongs to this conversation (and, once
 * shown, to this very message), is still pending and not past its deadline. Then the decision is
 * queued on the conversation's FIFO (the worker continues the turn) and the press answered.
 * Anything else queues nothing and says why.
 */
export async function approvalPress(
  ctx: Context & { callbackQuery: CallbackQuery },
  place: { key: ConversationKey; threadId?: number | undefined } | undefined,
  deps: ApprovalPressDeps,
): Promise<PressAnswer> {
  const query = ctx.callbackQuery;
  const from = query.from;
  if (from.is_bot || !mayApprove(deps.policy, from.id)) {
    deps.logger.info('telegram: approval button from a user who may not decide refused', { userId: from.id });
    return { text: texts.approvalNotAllowed, alert: true };
  }
  const parsed = query.data === undefined ? undefined : parseApprovalData(query.data);
  if (!parsed) return { text: texts.buttonUnknown };
  if (!deps.approvals) return { text: texts.approvalsUnavailable, alert: true };
  const message = query.message;
  const key = place?.key;
  if (!key || !message) return { text: texts.approvalForeign, alert: true };
  const record = await deps.approvals.store.get(deps.tenant, parsed.id);
  if (!record) return { text: texts.approvalUnknown, alert: true };
  if (!sameConversation(record.key, key) || !shownHere(record, message.chat.id, message.message_id)) {
    deps.logger.warn('telegram: approval button of another conversation refused', {
      approval: parsed.id,
      conversation: conversationKeyString(key),
      userId: from.id,
    });
    return { text: texts.approvalForeign, alert: true };
  }
  if (record.status !== 'pending') return { text: alreadyText(record, from.id), alert: true };
  const now = deps.clock.now();
  if (now >= record.expiresAt) {
    // Marked expired now (at most once), its buttons removed so nobody else taps them; the runner
    // tells the agent at the conversation's next turn.
    const outcome = await deps.approvals.store.resolve(deps.tenant, record.id, {
      status: 'expired',
      at: now,
    });
    if (!outcome.ok && outcome.record && outcome.record.status !== 'expired') {
      return { text: alreadyText(outcome.record, from.id), alert: true };
    }
    await editApprovalNotice(ctx.api, record, { status: 'expired' }, deps.logger);
    return { text: texts.approvalExpired, alert: true };
  }
  const item: ApprovalWork = {
    kind: 'approval',
    key,
    source: {
      type: 'telegram',
      updateId: ctx.update.update_id,
      userId: from.id,
      replyTo: {
        chatId: message.chat.id,
        ...(place.threadId !== undefined ? { threadId: place.threadId } : {}),
        replyToMessageId: message.message_id,
      },
    },
    approvalId: parsed.id,
    decision: parsed.decision,
    byName: displayName(from),
  };
  await deps.queue.enqueue(item);
  deps.logger.info('telegram: approval decision queued', {
    approval: parsed.id,
    decision: parsed.decision,
    conversation: conversationKeyString(key),
    userId: from.id,
  });
  return { text: ANSWERING[parsed.decision] };
}

/** A request already shown is decided only from its own message (not a copy elsewhere). */
function shownHere(record: ApprovalRecord, chatId: number, messageId: number): boolean {
  return !record.notice || (record.notice.chatId === chatId && record.notice.messageId === messageId);
}

function alreadyText(record: ApprovalRecord, presser: number): string {
  const by =
    record.resolvedBy === undefined
      ? ''
      : record.resolvedBy === String(presser)
        ? ' by you'
        : ` by user ${record.resolvedBy}`;
  switch (record.status) {
    case 'allow_once':
      return texts.approvalAlready(`allowed once${by}`);
    case 'allow_conversation':
      return texts.approvalAlready(`allowed in this conversation${by}`);
    case 'deny':
      return texts.approvalAlready(`denied${by}`);
    case 'expired':
      return texts.approvalExpired;
    case 'superseded':
      return texts.approvalAlready('not run: a new message came instead');
    case 'cancelled':
      return texts.approvalAlready(`cancelled${by}`);
    case 'pending':
      return texts.buttonUnknown;
  }
}
