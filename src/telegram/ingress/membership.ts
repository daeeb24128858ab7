import type { ChatMember, ChatMemberUpdated } from 'grammy/types';
import type { Context, MiddlewareFn } from 'grammy';
import type { Logger } from '../../core/logger.js';
import { isAllowed, type AccessPolicy } from '../config.js';
import { texts } from './texts.js';

const PRESENT = new Set<ChatMember['status']>(['member', 'administrator', 'creator', 'restricted']);

/** What the bot lacks to work in a group: Topics, and admin rights with "Manage topics". */
export function missingForumRequirements(update: ChatMemberUpdated): string[] {
  const missing: string[] = [];
  const chat = update.chat;
  if (!(chat.type === 'supergroup' && chat.is_forum === true)) missing.push(texts.missingTopics);
  const member = update.new_chat_member;
  const canManage = member.status === 'administrator' && member.can_manage_topics === true;
  if (!canManage) missing.push(texts.missingAdmin);
  return missing;
}

/**
 * `my_chat_member`: the bot was added to, promoted or demoted in a group. Added by someone not on
 * the allowlist → leave. Otherwise explain what is missing for forum use, or say it is ready.
 */
export function chatMembership(deps: { policy: AccessPolicy; logger: Logger }): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const update = ctx.myChatMember;
    if (!update) return next();
    const chat = update.chat;
    if (chat.type !== 'group' && chat.type !== 'supergroup') return; // private block/unblock, channels
    const wasPresent = PRESENT.has(update.old_chat_member.status);
    const isPresent = PRESENT.has(update.new_chat_member.status);
    if (!isPresent) return; // removed: nothing to say
    if (!wasPresent && !isAllowed(deps.policy, update.from.id)) {
      deps.logger.warn('telegram: added to a group by a user not on the allowlist; leaving', {
        chatId: chat.id,
        userId: update.from.id,
      });
      await ctx.api.leaveChat(chat.id);
      return;
    }
    const missing = missingForumRequirements(update);
    if (missing.length === 0) {
      await ctx.api.sendMessage(chat.id, texts.forumReady);
    } else if (
      !(chat.type === 'supergroup' && chat.is_forum === true) &&
      deps.policy.nonForumGroups === 'respond'
    ) {
      return; // non-forum groups are conversations by configuration: nothing missing
    } else {
      await ctx.api.sendMessage(chat.id, texts.forumMissing(missing));
    }
  };
}
