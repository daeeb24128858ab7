/**
 * Telegram's flood limits, paced before a call is sent (issue 20): per bot ~30 calls a second,
 * per chat ~1 a second, per group 20 a minute. The per-bot part is a `SendBudget`, in-process or
 * shared between workers (DynamoDB); the per-chat part and the order of a chat's calls are kept
 * in-process by the pacer (one conversation is answered by one worker at a time: its lease).
 */

/** `wait`: reserve the earliest slot and wait for it (replies); `now`: only a slot due now, else none (typing, live updates). */
export type SendMode = 'wait' | 'now';

/** A bot's send slots: at most its rate, whichever worker sends. */
export interface SendBudget {
  /**
   * Reserve one slot at or after `notBefore` (epoch ms) and resolve its time. In `now` mode only a
   * slot due within one interval of `notBefore` is taken; otherwise `undefined` (nothing taken).
   * Never rejects: a store that fails is logged once and the call paced in-process (fail open).
   */
  reserve(notBefore: number, mode: SendMode): Promise<number | undefined>;
  /**
   * When (epoch ms, ≥ `now`) the next `wait` reservation made now would be due, nothing taken: how
   * far the bot is booked ahead (the reply outbox defers a reply whose slot is far). Never rejects:
   * a store that fails answers `now` (fail open: the reply is sent and paced as before).
   */
  nextSlot(now: number): Promise<number>;
}

/** Which bot a budget is for: keys carry both (a tenant's bot, or two bots of one tenant). */
export interface BotRef {
  tenant: string;
  /** The bot's id: the number before the colon of its token. */
  botId: string;
}

/** Builds the budget of one bot (the composition root picks in-process or shared). */
export type SendBudgets = (bot: BotRef) => SendBudget;

export interface SendLimits {
  /** Calls per second per bot (Telegram: ~30; default 28, a margin for network jitter). */
  perSecond: number;
  /** Least ms between two calls in a private chat (default 1100: ~1/s plus jitter, like live edits). */
  chatIntervalMs: number;
  /** The same in groups and topics (default 3100: 20 a minute plus jitter). */
  groupIntervalMs: number;
}

export const SEND_LIMIT_DEFAULTS: SendLimits = {
  perSecond: 28,
  chatIntervalMs: 1100,
  groupIntervalMs: 3100,
};

/** The bot's id from its token (`123456:ABC…` → `123456`). */
export function botIdOf(token: string): string {
  return token.split(':')[0] ?? '';
}
