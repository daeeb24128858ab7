import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionFailedItem, isConditionalCheckFailed } from '../../aws/index.js';
import { systemClock, type Clock } from '../../core/clock.js';
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
  /** Slots per second, whichever worker takes them. */
  perSecond: number;
  clock?: Clock;
  logger?: Logger;
}

/** One item counts the slots of this many seconds. */
export const SEND_BUDGET_WINDOW_SECONDS = 60;
/** Items live this long past their window (TTL removes them; nobody reads an old window). */
export const SEND_BUDGET_TTL_SECONDS = 120;
/** Conditional writes one reservation may try before it gives up and is paced in-process. */
const MAX_ATTEMPTS = 6;
/** Full windows `nextSlot` looks past before it answers "after these" (5 minutes booked: far anyway). */
const MAX_WINDOWS_READ = 5;

/**
 * `<tenant>#tgsend#<bot>` / `<window start, epoch seconds>`: one item per bot and minute, under
 * its own partition key (never the tenant's alone: that partition is hot, docs/scale.md §7).
 */
export function sendBudgetKey(bot: BotRef, windowStart: number): { pk: string; sk: string } {
  return { pk: `${bot.tenant}#tgsend#${bot.botId}`, sk: String(windowStart) };
}

/**
 * A bot's budget shared by every worker (Lambda): the item of a window counts the slots handed
 * out in it (`n`), and slot `n` is due at `start + (n−1)·1000/perSecond` — evenly spaced, so no
 * second holds more than `perSecond`, whichever worker sends. A reservation is one conditional
 * `UpdateItem` (1 WCU): while the bot is busy, `n = n + 1` if the next slot is not already past
 * (`n ≥ first − 1`, `first` being the slot at the call's time); while it is below its rate, the
 * counter lags behind the clock and the write moves it to `first` (`n < first − 1`). Each worker
 * tries first the one its last write found true; a wrong guess costs one failed write (2 WCU),
 * whose `ALL_OLD` tells which it is. `now` calls take a slot only if it is due now (typing and
 * live updates never book ahead). Slots are booked one round trip ahead (the time a write takes,
 * measured), so a slot has not passed when its answer arrives. A store error fails open: logged once, the call paced in-process.
 */
export function createDynamoSendBudget(options: DynamoSendBudgetOptions): SendBudget {
  const { dynamo, table, bot, perSecond } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const intervalMs = 1000 / perSecond;
  const slots = SEND_BUDGET_WINDOW_SECONDS * perSecond;
  const fallback = createMemorySendBudget(perSecond);
  /** A write's round trip (ms), smoothed: slots are booked this far ahead. */
  let lead = 20;
  /** Whether the counter was last found behind the clock: then the jump is tried first. */
  let behind = true;
  let failing = false;

  /** Try to take slot ≥ `first` of a window; the slot's number, or why not. */
  const take = async (
    window: number,
    first: number,
    top: number,
  ): Promise<{ n: number } | { found: number | undefined }> => {
    const started = clock.now();
    try {
      const out = await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: sendBudgetKey(bot, window),
          UpdateExpression: 'SET #n = if_not_exists(#n, :base) + :one, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n BETWEEN :base AND :top',
          ExpressionAttributeNames: { '#n': 'n', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':base': first - 1,
            ':top': top - 1,
            ':one': 1,
            ':ttl': window + SEND_BUDGET_WINDOW_SECONDS + SEND_BUDGET_TTL_SECONDS,
          },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { n: Number(out.Attributes?.n) };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const n = conditionFailedItem(err)?.n?.N;
      return { found: n === undefined ? undefined : Number(n) };
    } finally {
      lead = 0.8 * lead + 0.2 * (clock.now() - started);
    }
  };

  /**
   * Move a counter that lags behind the clock (`n < first − 1`, or no item yet) to `first`, taking
   * slot `first`: true when this write did, else the counter it found (at or ahead of the clock).
   */
  const jump = async (window: number, first: number): Promise<true | { found: number | undefined }> => {
    const started = clock.now();
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: table,
          Key: sendBudgetKey(bot, window),
          UpdateExpression: 'SET #n = :first, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :base',
          ExpressionAttributeNames: { '#n': 'n', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':first': first,
            ':base': first - 1,
            ':ttl': window + SEND_BUDGET_WINDOW_SECONDS + SEND_BUDGET_TTL_SECONDS,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
      const n = conditionFailedItem(err)?.n?.N;
      return { found: n === undefined ? undefined : Number(n) };
    } finally {
      lead = 0.8 * lead + 0.2 * (clock.now() - started);
    }
  };

  const book = async (notBefore: number, mode: SendMode): Promise<number | undefined> => {
    let from = Math.max(notBefore, clock.now() + lead);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const window = Math.floor(from / 1000 / SEND_BUDGET_WINDOW_SECONDS) * SEND_BUDGET_WINDOW_SECONDS;
      const start = window * 1000;
      const first = Math.ceil((from - start) / intervalMs) + 1;
      if (first > slots) {
        from = start + SEND_BUDGET_WINDOW_SECONDS * 1000;
        continue;
      }
      const top = mode === 'now' ? first : slots;
      if (behind) {
        // The last write found the counter behind the clock (a bot below its rate): jump it.
        const jumped = await jump(window, first);
        if (jumped === true) return Math.max(start + (first - 1) * intervalMs, notBefore);
        behind = false;
        if (jumped.found !== undefined && jumped.found >= top) {
          if (mode === 'now') return undefined;
          from = start + SEND_BUDGET_WINDOW_SECONDS * 1000;
          continue;
        }
      }
      const got = await take(window, first, top);
      if ('n' in got) {
        const at = start + (got.n - 1) * intervalMs;
        // Answered later than booked for (a slow store): that slot has gone; book again from now.
        if (at < clock.now() - intervalMs) {
          from = clock.now() + lead;
          continue;
        }
        return Math.max(at, notBefore);
      }
      if (got.found === undefined || got.found < first - 1) {
        behind = true; // the counter lags (or its item expired): jump it next
        continue;
      }
      if (mode === 'now') return undefined; // booked ahead by replies: typing and live updates skip
      from = start + SEND_BUDGET_WINDOW_SECONDS * 1000; // this window is full
    }
    if (mode === 'now') return undefined;
    logger.warn('telegram: send budget found no slot; sending paced in this process only', {
      tenant: bot.tenant,
      bot: bot.botId,
    });
    return fallback.reserve(notBefore, mode);
  };

  /** The next free slot from `now`: one consistent read of the window's counter (a full window: the next). */
  const next = async (now: number): Promise<number> => {
    let window = Math.floor(now / 1000 / SEND_BUDGET_WINDOW_SECONDS) * SEND_BUDGET_WINDOW_SECONDS;
    for (let read = 0; read < MAX_WINDOWS_READ; read++, window += SEND_BUDGET_WINDOW_SECONDS) {
      const out = await dynamo.send(
        new GetCommand({
          TableName: table,
          Key: sendBudgetKey(bot, window),
          ProjectionExpression: '#n',
          ExpressionAttributeNames: { '#n': 'n' },
          ConsistentRead: true,
        }),
      );
      const n = out.Item?.['n'] === undefined ? 0 : Number(out.Item['n']);
      // Slot n + 1 is the next one handed out, due at start + n·interval (a lagging counter: now).
      if (n < slots) return Math.max(now, window * 1000 + n * intervalMs);
    }
    return Math.max(now, window * 1000);
  };

  return {
    async nextSlot(now) {
      try {
        return await next(now);
      } catch (err) {
        logger.warn('telegram: shared send budget unreadable; reply sent without deferring', {
          tenant: bot.tenant,
          bot: bot.botId,
          error: errorMessage(err),
        });
        return now;
      }
    },
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
  const logger = (options.logger ?? silentLogger).child({ component: 'telegram:send-budget' });
  return perBot((bot) => createDynamoSendBudget({ ...options, bot, logger }));
}
