import { tooManyRequests, type ApiError } from './telegram-errors.js';

/** Telegram's flood limits, emulated (per chat, per group, per bot): over a limit → 429 with `retry_after`. */
export interface RateLimitOptions {
  /** Most counted calls per chat in any second (default 1… set what the test needs). */
  perSecond?: number;
  /** Most counted calls per group chat (`chat_id < 0`) in any minute (Telegram: 20). */
  groupPerMinute?: number;
  /** Most counted calls of the bot, over all chats, in any second (Telegram: ~30). */
  botPerSecond?: number;
  /** Methods that count (default: sends, edits and drafts). */
  methods?: string[];
}

export const COUNTED_METHODS = [
  'sendMessage',
  'editMessageText',
  'editMessageReplyMarkup',
  'sendMessageDraft',
  'sendDocument',
];

export interface RateLimiter {
  /** A 429 when this call is over the limit; otherwise records it and returns undefined. */
  check(method: string, chatId: number, now: number): ApiError | undefined;
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const methods = new Set(options.methods ?? COUNTED_METHODS);
  const accepted = new Map<number, number[]>();
  let botTimes: number[] = [];
  const retryAfter = (times: number[], windowMs: number, now: number, max: number): number | undefined => {
    const inWindow = times.filter((t) => t > now - windowMs);
    if (inWindow.length < max) return undefined;
    const frees = (inWindow[inWindow.length - max] as number) + windowMs;
    return Math.max(1, Math.ceil((frees - now) / 1000));
  };
  return {
    check(method, chatId, now) {
      if (!methods.has(method) || !Number.isFinite(chatId)) return undefined;
      const times = (accepted.get(chatId) ?? []).filter((t) => t > now - 60_000);
      botTimes = botTimes.filter((t) => t > now - 1000);
      const wait =
        (options.perSecond !== undefined ? retryAfter(times, 1000, now, options.perSecond) : undefined) ??
        (options.groupPerMinute !== undefined && chatId < 0
          ? retryAfter(times, 60_000, now, options.groupPerMinute)
          : undefined) ??
        (options.botPerSecond !== undefined
          ? retryAfter(botTimes, 1000, now, options.botPerSecond)
          : undefined);
      if (wait !== undefined) return tooManyRequests(wait);
      times.push(now);
      accepted.set(chatId, times);
      botTimes.push(now);
      return undefined;
    },
  };
}

/** The most calls in any window of `windowMs` among sorted timestamps (for benchmarks and tests). */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
