import { Composer, type Context } from 'grammy';
import type { MaybeInaccessibleMessage, Message } from 'grammy/types';
import { errorMessage } from '../../core/errors.js';
import type { TenantId } from '../../core/ids.js';
import type { ConversationKey } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import type { Clock } from '../../core/clock.js';
import type { ConversationQueue } from '../../queue/types.js';
import { isApprovalData, type TelegramApprovals } from '../approvals/index.js';
import { isAllowed, type AccessPolicy } from '../config.js';
import { approvalPress, type PressAnswer } from './approval-button.js';
import { placeWithin } from './place.js';
import { parseStopData, type TurnStops } from './stops.js';
import { texts } from './texts.js';

export interface ButtonDeps {
  tenant: TenantId;
  policy: AccessPolicy;
  stops?: TurnStops | undefined;
  /** Approval buttons: the decision is queued for the conversation. */
  queue: ConversationQueue;
  approvals?: TelegramApprovals | undefined;
  clock: Clock;
  logger: Logger;
}

/**
 * Button presses (`callback_query`): a turn's Stop (`stop:<turn>`, on the worker's status
 * message) and the approval buttons (`ap:<id>:o|c|d`, `approval-button.ts`). The conversation is the one the button's message is in (chat + topic,
 * the same place rules as messages), never taken from the data, which only names the turn, so a
 * forged press can at most stop a turn of a conversation the presser is in; a press naming an
 * ended turn stops nothing (`requestStop` with that turn). The presser must be on the allowlist.
 * Every press is answered (`answerCallbackQuery`), or the button keeps spinning.
 */
export function buttonPresses(deps: ButtonDeps): Composer<Context> {
  const composer = new Composer<Context>();
  composer.on('callback_query', async (ctx) => {
    const query = ctx.callbackQuery;
    const answer = async (text: string, alert = false): Promise<void> => {
      // A press older than Telegram keeps it answerable is refused with a 400: nothing to redo.
      await ctx
        .answerCallbackQuery({ text, ...(alert ? { show_alert: true } : {}) })
        .catch((err: unknown) => {
          deps.logger.warn('telegram: could not answer a button press', { error: errorMessage(err) });
        });
    };
    if (query.data !== undefined && isApprovalData(query.data)) {
      const place = placeOfButton(deps, query.message);
      const result: PressAnswer = await approvalPress(ctx, place, deps);
      return answer(result.text, result.alert);
    }
    if (query.from.is_bot || !isAllowed(deps.policy, query.from.id)) {
      deps.logger.info('telegram: button press from a user not on the allowlist refused', {
        userId: query.from.id,
      });
      return answer(texts.buttonNotAllowed);
    }
    const turn = query.data === undefined ? undefined : parseStopData(query.data);
    if (turn === undefined) return answer(texts.buttonUnknown);
    if (!deps.stops) return answer(texts.stopUnavailable);
    const key = conversationOf(deps, query.message);
    if (!key) return answer(texts.buttonTurnEnded);
    const outcome = await deps.stops.requestStop(key, { turn });
    deps.logger.info('telegram: stop button pressed', { turn, stopping: outcome.stopping });
    return answer(outcome.stopping ? texts.buttonStopping : texts.buttonTurnEnded);
  });
  return composer;
}

/**
 * The conversation of the message a button is on, by the rules of messages (`placeWithin`). An inaccessible
 * message (`date` 0: too old to be shown to the bot) carries no topic, so its turn is long over.
 */
function conversationOf(
  deps: Pick<ButtonDeps, 'tenant' | 'policy'>,
  message: MaybeInaccessibleMessage | undefined,
): ConversationKey | undefined {
  return placeOfButton(deps, message)?.key;
}

/** The conversation (and topic) of the message a button is on; none for an inaccessible message. */
export function placeOfButton(
  deps: Pick<ButtonDeps, 'tenant' | 'policy'>,
  message: MaybeInaccessibleMessage | undefined,
): { key: ConversationKey; threadId?: number | undefined } | undefined {
  if (!message || message.date === 0) return undefined;
  const place = placeWithin(deps.tenant, message as Message, deps.policy.nonForumGroups);
  return 'key' in place ? { key: place.key, threadId: place.threadId } : undefined;
}
