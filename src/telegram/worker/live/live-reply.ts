import { randomInt } from 'node:crypto';
import type { Api } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { TurnEvent } from '../../../agent/types.js';
import { systemClock, type Clock } from '../../../core/clock.js';
import { errorMessage } from '../../../core/errors.js';
import { silentLogger, type Logger } from '../../../core/logger.js';
import type { ReplyTarget } from '../reply.js';
import { startTyping, TYPING_INTERVAL_MS } from '../typing.js';
import { createChatBudget } from './budget.js';
import { clipTail } from './clip.js';
import { deliverFinal } from './final.js';
import { finalTextOf } from './final-text.js';
import { isNotModified } from '../../bot-api-errors.js';
import { classifyUpdateFailure } from './refusal.js';
import { createStatusBoard } from './status.js';
import { LIVE_DEFAULTS, type LiveOptions, type LiveReply } from './types.js';
import { createDraft, createLiveMessage } from './views.js';

export interface LiveReplyDeps {
  /** `bot.api` with auto-retry: the final answer and the tidy-up (they wait out a 429). */
  api: Api;
  /**
   * The same bot without auto-retry: drafts, edits, the status message and "typing…". A 429 there
   * fails at once and the chat's updates pause until `retry_after` — nothing sleeps in the turn.
   */
  liveApi: Api;
  target: ReplyTarget;
  options?: LiveOptions;
  typingIntervalMs?: number;
  logger?: Logger;
  clock?: Clock;
  /** Draft id of a private chat's streamed answer (non-zero; default random). */
  draftId?: number;
}

type Kind = 'text' | 'status';

/**
 * A turn's live reply: the answer streamed (a draft in private chats; one message edited in place
 * elsewhere), one status message with a line per tool call and a Stop button, a stall notice, and
 * "typing…" throughout. One update in flight at a time, at most one per interval per chat; the
 * answer and the status take turns when both changed. `finish` sends the final answer.
 */
export function createLiveReply(deps: LiveReplyDeps): LiveReply {
  const o = { ...LIVE_DEFAULTS, ...definedOnly(deps.options ?? {}) };
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const { target, liveApi } = deps;
  const isPrivate = target.chatId > 0;
  const budget = createChatBudget(isPrivate ? o.editIntervalMs : o.groupEditIntervalMs);
  const board = createStatusBoard();
  const draft = isPrivate
    ? createDraft(liveApi, target, deps.draftId ?? randomInt(1, 2 ** 31 - 1))
    : undefined;
  const message = isPrivate ? undefined : createLiveMessage(liveApi, target, { asReply: true });
  const stream = draft ?? (message as NonNullable<typeof message>);
  const status = createLiveMessage(liveApi, target, { asReply: false });
  const stopTyping = startTyping(liveApi, target, deps.typingIntervalMs ?? TYPING_INTERVAL_MS);

  let text = '';
  let shownText = '';
  let statusVersion = 0;
  let shownStatus = 0;
  let turn: number | undefined;
  let lastEventAt = clock.now();
  let stalled = false;
  const off: Record<Kind, boolean> = { text: !o.enabled, status: !o.enabled };
  let last: Kind = 'status';
  let inFlight: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  let finished = false;
  let closing: Promise<void> | undefined;

  const keyboard = (): InlineKeyboardMarkup | undefined =>
    turn === undefined
      ? undefined
      : { inline_keyboard: [[{ text: '⏹ Stop', callback_data: `stop:${turn}` }]] };

  /**
   * In groups the streamed message carries the Stop button until a status message (which has its
   * own) exists, so a turn without tool calls can be stopped with a tap too; then the button is
   * removed from it (an empty keyboard, explicitly). Drafts (private chats) take no keyboard.
   */
  let streamButton = false;
  const streamKeyboard = (): { keyboard: InlineKeyboardMarkup } | Record<string, never> => {
    if (draft) return {};
    const kb = board.size === 0 ? keyboard() : undefined;
    if (kb) {
      streamButton = true;
      return { keyboard: kb };
    }
    if (!streamButton) return {};
    streamButton = false;
    return { keyboard: { inline_keyboard: [] } };
  };

  /** The next update to send, or undefined when the chat shows everything already. */
  const pick = (): { kind: Kind; run: () => Promise<void> } | undefined => {
    const textDue = !off.text && text.trim() !== '' && text !== shownText;
    const statusDue = !off.status && statusVersion !== shownStatus && (board.size > 0 || stalled);
    const kind: Kind | undefined =
      textDue && statusDue
        ? last === 'text'
          ? 'status'
          : 'text'
        : textDue
          ? 'text'
          : statusDue
            ? 'status'
            : undefined;
    if (kind === 'text') {
      const snapshot = text;
      const extra = streamKeyboard();
      return {
        kind,
        run: () => shown(stream.show(clipTail(snapshot), extra), () => (shownText = snapshot)),
      };
    }
    if (kind === 'status') {
      const version = statusVersion;
      const view = board.render(clock.now(), stalled ? clock.now() - lastEventAt : undefined);
      const kb = keyboard();
      const run = () =>
        shown(status.show(view.text, { entities: view.entities, ...(kb ? { keyboard: kb } : {}) }), () => {
          shownStatus = version;
        });
      return { kind, run };
    }
    return undefined;
  };

  const pump = (): void => {
    if (finished || inFlight) return;
    const next = pick();
    if (!next) return;
    const wait = budget.waitMs(clock.now());
    if (wait > 0) {
      timer ??= setTimeout(() => {
        timer = undefined;
        pump();
      }, wait);
      return;
    }
    budget.take(clock.now());
    last = next.kind;
    inFlight = next
      .run()
      .catch((err: unknown) => failed(next.kind, err))
      .finally(() => {
        inFlight = undefined;
        pump();
      });
  };

  const failed = (kind: Kind, err: unknown): void => {
    const failure = classifyUpdateFailure(err);
    const fields = { chatId: target.chatId, update: kind, error: errorMessage(err) };
    if (failure.kind === 'rate_limited') {
      budget.pauseUntil(clock.now() + failure.retryAfterMs);
      logger.info('telegram: live updates paused (a 429, or no send slot free now)', {
        ...fields,
        retryAfterMs: failure.retryAfterMs,
      });
    } else if (failure.kind === 'refused') {
      off[kind] = true;
      logger.warn('telegram: live update refused; no more updates of this view', fields);
    } else {
      logger.warn('telegram: live update failed', fields);
    }
  };

  const armStall = (): void => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      stalled = true;
      statusVersion++;
      pump();
    }, o.stallNoticeMs);
    stallTimer.unref();
  };

  const stop = (): void => {
    finished = true;
    clearTimeout(timer);
    clearTimeout(stallTimer);
    stopTyping();
  };

  /**
   * Waits for the chat's budget, then takes it: the final answer and the tidy-up share the budget
   * of the live updates (a 429 there would cost its `retry_after` inside auto-retry). Bounded by
   * one interval plus a pending `retry_after`.
   */
  const paced = async (): Promise<void> => {
    const wait = budget.waitMs(clock.now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    budget.take(clock.now());
  };

  const tidy = async (): Promise<void> => {
    const id = status.messageId;
    if (id === undefined || off.status) return;
    const summary = board.summary();
    await paced();
    try {
      if (summary) {
        await deps.api.editMessageText(target.chatId, id, summary.text, {
          reply_markup: { inline_keyboard: [] },
        });
      } else {
        await deps.api.deleteMessage(target.chatId, id); // only a stall notice: nothing worth keeping
      }
    } catch (err) {
      if (!isNotModified(err)) {
        logger.warn('telegram: could not tidy the status message', {
          chatId: target.chatId,
          error: errorMessage(err),
        });
      }
    }
  };

  return {
    onEvent(event: TurnEvent) {
      if (finished || !o.enabled) return;
      const now = clock.now();
      lastEventAt = now;
      if (stalled) {
        stalled = false;
        statusVersion++;
      }
      armStall();
      if (event.type === 'turn_started') {
        turn = event.turn;
        statusVersion++;
      } else if (event.type === 'text') {
        text += event.delta;
      } else if (board.apply(event, now)) {
        statusVersion++;
      }
      pump();
    },
    async finish(result) {
      stop();
      await inFlight;
      if (result.pending_approval) {
        board.awaitApproval();
        // A turn that only asks (no text before the deferred call): the request is its reply.
        if (!result.is_error && !result.response.trim()) return true;
      }
      const streamedMessageId = off.text ? undefined : message?.messageId;
      return deliverFinal(finalTextOf(result), {
        api: deps.api,
        target,
        ...(streamedMessageId !== undefined ? { streamedMessageId } : {}),
        pace: paced,
        logger,
      });
    },
    close() {
      closing ??= (async () => {
        stop();
        await inFlight;
        await tidy();
      })();
      return closing;
    },
  };
}

/** Run an update; "message is not modified" means it is already shown. */
async function shown(update: Promise<void>, done: () => void): Promise<void> {
  try {
    await update;
  } catch (err) {
    if (!isNotModified(err)) throw err;
  }
  done();
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
