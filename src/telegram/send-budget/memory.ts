import type { BotRef, SendBudget, SendBudgets, SendMode } from './types.js';

/**
 * One bot's budget in this process (local, one container): a calendar of slots on a grid of
 * `1000 / perSecond` ms, each taken at most once, so no window of a second holds more than
 * `perSecond` calls. A call takes the first free slot at or after its time: a reply booked for
 * later (its chat is paced) does not hold up another chat's call now.
 */
export function createMemorySendBudget(perSecond: number): SendBudget {
  if (!(perSecond > 0)) throw new RangeError(`[telegram:send-budget] rate must be > 0, got ${perSecond}`);
  const taken = new Set<number>();
  /** Slots before this one are in the past and forgotten. */
  let floor = 0;
  const timeOf = (slot: number): number => (slot * 1000) / perSecond;
  return {
    reserve(notBefore: number, mode: SendMode) {
      const first = Math.ceil((notBefore * perSecond) / 1000);
      if (first - floor > perSecond * 60) {
        for (const slot of taken) if (slot < first - perSecond) taken.delete(slot);
        floor = first - perSecond;
      }
      let slot = first;
      while (taken.has(slot)) slot++;
      if (mode === 'now' && slot > first + 1) return Promise.resolve(undefined);
      taken.add(slot);
      return Promise.resolve(timeOf(slot));
    },
    nextSlot(now: number) {
      let slot = Math.ceil((now * perSecond) / 1000);
      while (taken.has(slot)) slot++;
      return Promise.resolve(Math.max(now, timeOf(slot)));
    },
  };
}

/** One budget per bot, made on first use and kept (its state is the bot's pacing). */
export function perBot(make: (bot: BotRef) => SendBudget): SendBudgets {
  const budgets = new Map<string, SendBudget>();
  return (bot) => {
    const key = `${bot.tenant}#${bot.botId}`;
    let budget = budgets.get(key);
    if (!budget) {
      budget = make(bot);
      budgets.set(key, budget);
    }
    return budget;
  };
}

/** Every bot's budget in this process (local, a single container). */
export function createMemorySendBudgets(perSecond: number): SendBudgets {
  return perBot(() => createMemorySendBudget(perSecond));
}
