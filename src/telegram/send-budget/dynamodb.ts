import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../aws/index.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { createMemorySendBudget, perBot } from './memory.js';
import type { BotRef, SendBudget, SendBudgets, SendMode } from './types.js';

export interface DynamoSendBudgetOptions {
  /** The storage table's document client (`createCloudClients`). */
  dynamo: DynamoDBDocumentClient;
  /** The storage table: `pk`/`sk` strings, TTL attribute `ttl`. */
  table: string;
  bot: BotRef;
  /** Slots per calendar second, whichever worker takes them. */
  perSecond: number;
  /** Seconds ahead a reply may be booked; past that it is sent unpaced (auto-retry waits out a 429). Default 60. */
  horizonSeconds?: number;
  logger?: Logger;
}

/** Items live this long past their second (TTL removes them; nobody reads an old second). */
export const SEND_BUDGET_TTL_SECONDS = 120;

/**
 * `<tenant>#tgsend#<bot>` / `<epoch second>`: one item per bot-second, under its own partition
 * key (never the tenant's: that partition is hot, docs/scale.md §7), starting with the tenant.
 */
export function sendBudgetKey(bot: BotRef, second: number): { pk: string; sk: string } {
  return { pk: `${bot.tenant}#tgsend#${bot.botId}`, sk: String(second) };
}

/**
 * A bot's budget shared by every worker (Lambda): the item of second `s` counts the slots taken
 * in it (`n`), and slot `n` is due at `s·1000 + (n−1)·1000/perSecond` — at most `perSecond` a
 * calendar second, evenly spaced, so no window of a second holds many more. One conditional
 * `UpdateItem` per call (1 WCU): `n = if_not_exists(n, first−1) + 1` if `n < perSecond`, where
 * `first` is the first slot not already past (an idle second starts at now, not at its start).
 * A slot found already past (the second was opened earlier, then idle) is skipped with one more
 * `ADD`; a full second costs a failed condition (1 WCU) and is remembered, so this worker books
 * after it next time. A store error fails open: logged once, the call paced in-process.
 */
export function createDynamoSendBudget(options: DynamoSendBudgetOptions): SendBudget {
  const { dynamo, table, bot, perSecond } = options;
  const logger = options.logger ?? silentLogger;
  const horizon = options.horizonSeconds ?? 60;
  const intervalMs = 1000 / perSecond;
  const fallback = createMemorySendBudget(perSecond);
  /** The last second this worker found full. */
  let fullThrough = 0;
  let failing = false;

  const slotAt = (second: number, n: number): number => second * 1000 + (n - 1) * intervalMs;

  /** Take the next slot of `second`, starting at slot `first`: its number, or undefined when full. */
  const take = async (second: number, first: number): Promise<number | undefined> => {
    try {
      const out = await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: sendBudgetKey(bot, second),
          UpdateExpression: 'SET #n = if_not_exists(#n, :base) + :one, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
          ExpressionAttributeNames: { '#n': 'n', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':base': first - 1,
            ':one': 1,
            ':limit': perSecond,
            ':ttl': second + SEND_BUDGET_TTL_SECONDS,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.n);
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  };

  /** Skip `k` slots that went past unused and take the one after them: its number, or undefined when that overflows. */
  const skip = async (second: number, k: number): Promise<number | undefined> => {
    try {
      const out = await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: sendBudgetKey(bot, second),
          UpdateExpression: 'ADD #n :k',
          ConditionExpression: '#n <= :most',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':k': k, ':most': perSecond - k },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.n);
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  };

  const book = async (notBefore: number, mode: SendMode): Promise<number | undefined> => {
    const own = Math.floor(notBefore / 1000);
    const last = mode === 'now' ? Math.floor((notBefore + intervalMs) / 1000) : own + horizon;
    for (let second = Math.max(own, fullThrough + 1); second <= last; second++) {
      const from = Math.max(notBefore, second * 1000);
      const first = Math.ceil((from - second * 1000) / intervalMs) + 1;
      if (first > perSecond) continue; // every slot of this second is already past
      let n = await take(second, first);
      if (n !== undefined && slotAt(second, n) < from - intervalMs) n = await skip(second, first - n);
      if (n === undefined) {
        fullThrough = Math.max(fullThrough, second);
        continue;
      }
      const at = Math.max(slotAt(second, n), notBefore);
      return mode === 'now' && at > notBefore + intervalMs ? undefined : at;
    }
    if (mode === 'now') return undefined;
    logger.warn('telegram: send budget booked beyond its horizon; sending unpaced', {
      tenant: bot.tenant,
      bot: bot.botId,
      horizonSeconds: horizon,
    });
    return notBefore;
  };

  return {
    async reserve(notBefore, mode) {
      try {
        const at = await book(notBefore, mode);
        failing = false;
        return at;
      } catch (err) {
        if (!failing) {
          logger.warn('telegram: shared send budget unavailable; pacing in this process', {
            tenant: bot.tenant,
            bot: bot.botId,
            error: errorMessage(err),
          });
        }
        failing = true;
        return fallback.reserve(notBefore, mode);
      }
    },
  };
}

/** Every bot's shared budget on the storage table (one per bot, made on first use). */
export function createDynamoSendBudgets(options: Omit<DynamoSendBudgetOptions, 'bot'>): SendBudgets {
  return perBot((bot) =>
    createDynamoSendBudget({
      ...options,
      bot,
      logger: (options.logger ?? silentLogger).child({ component: 'telegram:send-budget' }),
    }),
  );
}
