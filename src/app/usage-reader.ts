import type { ConversationUsage, PeriodSpend, UsageReader } from '../telegram/worker/types.js';
import type { UsageStore, UsageTotals } from '../usage/index.js';

const spend = (t: UsageTotals): PeriodSpend => ({ turns: t.turns, costUsd: t.costUsd });

/** `/cost`: the conversation's usage (today, this month, all time) and the sender's, from the usage store. */
export function usageReader(usage: UsageStore): UsageReader {
  return async (key, userId) => {
    const conv = { tenant: key.tenant, chat: key.chat, thread: key.thread };
    const [all, day, month] = await Promise.all([
      usage.summary(conv, 'all'),
      usage.summary(conv, 'day'),
      usage.summary(conv, 'month'),
    ]);
    const mine = { tenant: key.tenant, userId: userId ?? 0 };
    const user =
      userId === undefined
        ? undefined
        : await Promise.all([
            usage.summary(mine, 'day'),
            usage.summary(mine, 'month'),
            usage.summary(mine, 'all'),
          ]);
    if (all.turns === 0 && (!user || user[2].turns === 0)) return null;
    const out: ConversationUsage = {
      turns: all.turns,
      costUsd: all.costUsd,
      inputTokens: all.tokens.input,
      outputTokens: all.tokens.output,
      cacheReadTokens: all.tokens.cacheRead,
      cacheCreationTokens: all.tokens.cacheCreation,
      periods: { day: spend(day), month: spend(month) },
    };
    if (user) out.user = { day: spend(user[0]), month: spend(user[1]), all: spend(user[2]) };
    return out;
  };
}
