import type { Simulation } from './event-queue.js';
import { createPacer, type Pacer } from './rate-limit.js';

/** Telegram's published guidance: ~1 message/s per chat, 20/min per group, ~30/s per bot. */
export const TELEGRAM_LIMITS = {
  perChatIntervalS: 1,
  groupIntervalS: 3,
  groupBurst: 20,
  perBotIntervalS: 1 / 30,
  perBotBurst: 30,
  /** What a 429 answers in `retry_after` (auto-retry then waits that long). */
  retryAfterS: 1,
} as const;

export interface TelegramSendsOptions {
  sim: Simulation;
  /**
   * `retry`: send, and on a 429 wait `retry_after` and try again (today: grammY auto-retry).
   * `budget`: take the next free slot of the chat's and the bot's budget first (no 429s).
   */
  mode: 'retry' | 'budget';
}

export interface TelegramSends {
  /** Send `parts` messages to a chat of a tenant's bot, in order; `then` when the last is accepted. */
  send(tenant: number, chat: number, isGroupChat: boolean, parts: number, then: () => void): void;
  readonly tooManyRequests: { perChat: number; perBot: number };
  readonly messages: number;
}

/** Replies through per-chat and per-bot pacers (one bot per tenant), counting 429s. */
export function createTelegramSends(options: TelegramSendsOptions): TelegramSends {
  const { sim } = options;
  const bots = new Map<number, Pacer>();
  const chats = new Map<number, Pacer>();
  const tooManyRequests = { perChat: 0, perBot: 0 };
  let messages = 0;

  const pacer = (map: Map<number, Pacer>, key: number, interval: number, burst: number): Pacer => {
    let p = map.get(key);
    if (!p) {
      p = createPacer(interval, burst);
      map.set(key, p);
    }
    return p;
  };

  const sendOne = (bot: Pacer, chat: Pacer, then: () => void): void => {
    const now = sim.now;
    if (options.mode === 'budget') {
      const at = Math.max(chat.reserve(now), bot.reserve(now));
      messages++;
      return sim.at(at, then);
    }
    if (!chat.allows(now)) {
      tooManyRequests.perChat++;
      return sim.after(TELEGRAM_LIMITS.retryAfterS, () => sendOne(bot, chat, then));
    }
    if (!bot.allows(now)) {
      tooManyRequests.perBot++;
      return sim.after(TELEGRAM_LIMITS.retryAfterS, () => sendOne(bot, chat, then));
    }
    chat.conforms(now);
    bot.conforms(now);
    messages++;
    then();
  };

  return {
    tooManyRequests,
    get messages() {
      return messages;
    },
    send(tenant, chatId, isGroupChat, parts, then) {
      const bot = pacer(bots, tenant, TELEGRAM_LIMITS.perBotIntervalS, TELEGRAM_LIMITS.perBotBurst);
      const chat = isGroupChat
        ? pacer(chats, chatId, TELEGRAM_LIMITS.groupIntervalS, TELEGRAM_LIMITS.groupBurst)
        : pacer(chats, chatId, TELEGRAM_LIMITS.perChatIntervalS, 1);
      let left = parts;
      const next = (): void => {
        if (left-- === 0) return then();
        sendOne(bot, chat, next);
      };
      next();
    },
  };
}
