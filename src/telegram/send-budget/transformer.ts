import type { Transformer } from 'grammy';
import { SendBudgetShortError } from './errors.js';
import type { SendPacer } from './pacer.js';
import type { SendMode } from './types.js';

/**
 * Calls Telegram counts against a chat's flood limit (sends, edits, drafts, uploads, a new topic's
 * service message). Not counted: answers to button taps (`answerCallbackQuery`, never delayed),
 * reactions, deletions, reads and settings.
 */
export const CHAT_COUNTED_METHODS: ReadonlySet<string> = new Set([
  'sendMessage',
  'sendMessageDraft',
  'editMessageText',
  'editMessageReplyMarkup',
  'editMessageCaption',
  'editMessageMedia',
  'sendDocument',
  'sendPhoto',
  'sendMediaGroup',
  'copyMessage',
  'forwardMessage',
  'createForumTopic',
]);

/** "typing…": counted against the bot only, and dropped (answered `true` unsent) when no slot is free now. */
export const TYPING_METHOD = 'sendChatAction';

/** How long a skipped live update pauses its chat's updates (the live view's 429 handling). */
export const SKIP_RETRY_AFTER_MS = 1000;

/**
 * The send budget as a grammY API transformer. Install it before `autoRetry` (so a retry after a
 * 429 takes a slot again). `wait` (the bot's API: replies, edits, files) sleeps until the call's
 * slot; `now` (the live API: drafts, edits, status) sends only if a slot is free now and otherwise
 * throws `SendBudgetShortError`, which the live view treats like a 429. Typing is dropped in both.
 */
export function sendBudgetTransformer(pacer: SendPacer, mode: SendMode): Transformer {
  return async (prev, method, payload, signal) => {
    if (method === TYPING_METHOD) {
      if (await pacer.acquire(undefined, 'now')) return prev(method, payload, signal);
      return { ok: true, result: true as never };
    }
    if (!CHAT_COUNTED_METHODS.has(method)) return prev(method, payload, signal);
    if (await pacer.acquire(chatIdOf(payload), mode)) return prev(method, payload, signal);
    throw new SendBudgetShortError(method, SKIP_RETRY_AFTER_MS);
  };
}

/** A numeric `chat_id`; a `@channel` username is paced by the bot's budget only. */
function chatIdOf(payload: unknown): number | undefined {
  const id = (payload as { chat_id?: unknown } | undefined)?.chat_id;
  return typeof id === 'number' && Number.isFinite(id) ? id : undefined;
}
