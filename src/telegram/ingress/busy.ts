import type { Api } from 'grammy';
import type { ConversationKey } from '../../core/keys.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { TurnStops } from './stops.js';

/** The reaction that tells a user their message waits for the running turn. */
export const BUSY_REACTION = [{ type: 'emoji', emoji: '👀' }] as const;

/** What the busy acknowledgement needs: the running-turn check (none → no acknowledgement). */
export interface BusyAckDeps {
  stops?: Pick<TurnStops, 'current'> | undefined;
  logger: Logger;
}

/** The user's message to acknowledge, in the conversation it was queued for. */
export interface BusyAckTarget {
  key: ConversationKey;
  chatId: number;
  messageId: number;
}

/**
 * Run `enqueue` and, when a turn was already running in the conversation, react 👀 to the user's
 * message at once (it waits behind that turn in the conversation's FIFO). The read is started
 * before the enqueue and runs alongside it, so it sees the turn that was running when the message
 * arrived, not the message's own (which cannot start before it is queued). A failed read or
 * reaction is logged and never thrown: the message is queued whatever happens to the
 * acknowledgement; an enqueue failure is thrown as before (and nothing is acknowledged).
 */
export async function enqueueAcknowledged(
  enqueue: () => Promise<void>,
  target: BusyAckTarget,
  api: Pick<Api, 'setMessageReaction'>,
  deps: BusyAckDeps,
): Promise<void> {
  const stops = deps.stops;
  const busy = stops
    ? stops.current(target.key).catch((err: unknown) => {
        deps.logger.warn('telegram: could not tell whether a turn is running', { error: errorMessage(err) });
        return null;
      })
    : Promise.resolve(null);
  await enqueue();
  if ((await busy) === null) return;
  await api.setMessageReaction(target.chatId, target.messageId, [...BUSY_REACTION]).catch((err: unknown) => {
    deps.logger.warn('telegram: could not acknowledge a message queued behind a running turn', {
      error: errorMessage(err),
    });
  });
}
