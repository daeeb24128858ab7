import { Composer, type Context } from 'grammy';
import type { CallbackQuery } from 'grammy/types';
import { errorMessage } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import { conversationKeyString } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { ConversationQueue, SwitchWork } from '../../queue/types.js';
import { isAllowed, type AccessPolicy } from '../config.js';
import { isSessionData, parseSessionData } from '../session-data.js';
import type { PressAnswer } from './approval-button.js';
import { placeOfButton } from './stop-button.js';
import { texts } from './texts.js';

export interface SessionButtonDeps {
  tenant: TenantId;
  policy: AccessPolicy;
  queue: ConversationQueue;
  logger: Logger;
}

type Press = Context & { callbackQuery: CallbackQuery & { data: string } };

/**
 * The switch buttons of a `/sessions` list (`ss:<sessionId>`); other presses pass on. The
 * conversation is the one the button's message is in (its chat and topic, by the rules of
 * messages), never the data, which names only a session: the worker switches only to a session of
 * that conversation. The presser must be allowed to talk to the bot. The switch is queued on the
 * conversation's FIFO (after its earlier turns, under its lease in the worker) and the press
 * answered at once; a forged, malformed or refused press queues nothing. Every press is answered.
 */
export function sessionButtons(deps: SessionButtonDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on('callback_query:data', async (ctx, next) => {
    if (!isSessionData(ctx.callbackQuery.data)) return next();
    let answer: PressAnswer;
    try {
      answer = await sessionPress(ctx, deps);
    } catch (err) {
      deps.logger.error('telegram: session button failed', { error: errorMessage(err) });
      answer = { text: texts.sessionSwitchFailed, alert: true };
    }
    await ctx
      .answerCallbackQuery({ text: answer.text, ...(answer.alert ? { show_alert: true } : {}) })
      .catch((err: unknown) => {
        deps.logger.warn('telegram: could not answer a button press', { error: errorMessage(err) });
      });
  });
  return composer;
}

async function sessionPress(ctx: Press, deps: SessionButtonDeps): Promise<PressAnswer> {
  const query = ctx.callbackQuery;
  if (query.from.is_bot || !isAllowed(deps.policy, query.from.id)) {
    deps.logger.info('telegram: session button from a user not on the allowlist refused', {
      userId: query.from.id,
    });
    return { text: texts.buttonNotAllowed, alert: true };
  }
  const sessionId = parseSessionData(query.data);
  if (sessionId === undefined) {
    deps.logger.warn('telegram: malformed session button refused', { userId: query.from.id });
    return { text: texts.buttonUnknown, alert: true };
  }
  const message = query.message;
  const place = placeOfButton(deps, message);
  if (!place || !message) return { text: texts.sessionButtonStale, alert: true };
  const item: SwitchWork = {
    kind: 'switch',
    key: place.key,
    source: {
      type: 'telegram',
      updateId: ctx.update.update_id,
      userId: query.from.id,
      replyTo: {
        chatId: message.chat.id,
        ...(place.threadId !== undefined ? { threadId: place.threadId } : {}),
        replyToMessageId: message.message_id,
      },
    },
    sessionId,
  };
  await deps.queue.enqueue(item);
  deps.logger.info('telegram: session switch queued', {
    conversation: conversationKeyString(place.key),
    session_id: sessionId,
    userId: query.from.id,
  });
  return { text: texts.sessionSwitching };
}
