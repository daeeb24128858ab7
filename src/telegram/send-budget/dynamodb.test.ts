import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDynamoDbLocal } from '../../../test/peers/use-dynamodb.js';
import { ManualClock } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import {
  createDynamoSendBudget,
  SEND_BUDGET_TTL_SECONDS,
  SEND_BUDGET_WINDOW_SECONDS,
  sendBudgetKey,
} from './dynamodb.js';
import type { BotRef } from './types.js';

const clients = useDynamoDbLocal();
let table = '';
beforeAll(async () => {
  table = `budget-${randomBytes(5).toString('hex')}`;
  // Shaped like template.yaml's storage table: `pk` + `sk` strings.
  await clients().client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
});
afterAll(async () => {
  await clients()
    .client.send(new DeleteTableCommand({ TableName: table }))
    .catch(() => undefined);
});

let bots = 0;
const freshBot = (): BotRef => ({ tenant: 'acme', botId: String(1000 + ++bots) });
const S = Date.UTC(2026, 11, 2, 10, 0, 0); // a minute's start
/** A worker's budget; its clock stands before the calls' times (they say when, not the clock). */
const worker = (bot: BotRef, perSecond = 30) =>
  createDynamoSendBudget({ dynamo: clients().doc, table, bot, perSecond, clock: new ManualClock(S - 1000) });

/** The bot's items as stored: window → slots handed out, and their TTL. */
async function items(bot: BotRef): Promise<Array<{ pk: string; sk: string; n: number; ttl: number }>> {
  const out = await clients().doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': sendBudgetKey(bot, 0).pk },
    }),
  );
  return (out.Items ?? []) as Array<{ pk: string; sk: string; n: number; ttl: number }>;
}

function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs - 1e-6) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

describe('createDynamoSendBudget (DynamoDB Local)', () => {
  it('two workers sharing a bot: ≤ 30 slots in every second, none twice, evenly spaced', async () => {
    const bot = freshBot();
    const [a, b] = [worker(bot), worker(bot)];
    const notBefore = S + 500;
    const times = await Promise.all(
      Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? a : b).reserve(notBefore, 'wait')),
    );
    const booked = times as number[];
    expect(booked.every((t) => t >= notBefore)).toBe(true);
    expect(new Set(booked).size).toBe(150);
    const perSecond = new Map<number, number>();
    for (const t of booked)
      perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBe(30);
    expect(maxInWindow(booked, 1000)).toBeLessThanOrEqual(30);
    // 15 slots left in the first second (from 500 ms on), then 30 a second: the last is 5 s later.
    expect(Math.max(...booked) - notBefore).toBeLessThan(5000);
    // The raw item agrees: one per bot and minute, keyed by tenant and bot, with a TTL; its
    // counter started at the first call's slot (500 ms in: slot 16) and handed out 150.
    const stored = await items(bot);
    expect(stored).toEqual([
      {
        pk: `acme#tgsend#${bot.botId}`,
        sk: String(S / 1000),
        n: 15 + 150,
        ttl: S / 1000 + SEND_BUDGET_WINDOW_SECONDS + SEND_BUDGET_TTL_SECONDS,
      },
    ]);
  });

  it('starts an idle bot at the call’s time and skips slots that went past unused', async () => {
    const bot = freshBot();
    const [a, b] = [worker(bot), worker(bot)];
    expect(await a.reserve(S, 'wait')).toBe(S);
    // Slots from S + 33 ms on went by unused: B's call at S + 700 takes the one at 700 (slot 22).
    const late = (await b.reserve(S + 700, 'wait')) as number;
    expect(late).toBeGreaterThanOrEqual(S + 700);
    expect(late - (S + 700)).toBeLessThan(1000 / 30);
    expect((await items(bot))[0]?.n).toBe(22);
  });

  it('`now` takes a slot only when one is due now; a reply books ahead', async () => {
    const bot = freshBot();
    const [a, b] = [worker(bot, 5), worker(bot, 5)];
    await Promise.all(Array.from({ length: 5 }, () => a.reserve(S, 'wait')));
    expect(await b.reserve(S + 10, 'now')).toBeUndefined();
    expect(await b.reserve(S + 10, 'wait')).toBe(S + 1000);
  });

  it('fails open: a store error is logged once and the call paced in-process', async () => {
    const lines: string[] = [];
    const budget = createDynamoSendBudget({
      dynamo: clients().doc,
      table: 'no-such-table',
      bot: freshBot(),
      perSecond: 30,
      logger: createLogger({ write: (line) => lines.push(line) }),
    });
    const times = await Promise.all([1, 2, 3].map(() => budget.reserve(S, 'wait')));
    expect(times.map((t) => Math.round((t as number) - S)).sort((a, b) => a - b)).toEqual([0, 33, 67]);
    expect(lines.filter((l) => l.includes('shared send budget unavailable'))).toHaveLength(1);
  });
});

describe('createDynamoSendBudget: nextSlot (the reply outbox reads how far the bot is booked)', () => {
  it('an idle bot: now, and nothing is written', async () => {
    const bot = freshBot();
    expect(await worker(bot).nextSlot(S + 250)).toBe(S + 250);
    expect(await items(bot)).toEqual([]);
  });

  it('a bot booked ahead by another worker: the slot its next reply would get, nothing taken', async () => {
    const bot = freshBot();
    const [a, b] = [worker(bot, 5), worker(bot, 5)];
    await Promise.all(Array.from({ length: 12 }, () => a.reserve(S, 'wait')));
    const before = await items(bot);
    // 12 slots at 5/s from S: the 13th is due 2.4 s in; B reads it without taking it.
    expect(await b.nextSlot(S + 10)).toBe(S + 2400);
    expect(await b.nextSlot(S + 10)).toBe(S + 2400);
    expect(await items(bot)).toEqual(before);
    expect(await b.reserve(S + 10, 'wait')).toBe(S + 2400);
    expect(await a.nextSlot(S + 10)).toBe(S + 2600);
  });

  it('a full minute: the next window’s slot', async () => {
    const bot = freshBot();
    const a = worker(bot, 1);
    const times = await Promise.all(Array.from({ length: 62 }, () => a.reserve(S, 'wait')));
    expect(Math.max(...(times as number[]))).toBe(S + 61_000);
    expect(await worker(bot, 1).nextSlot(S + 5)).toBe(S + 62_000);
  });

  it('fails open: a store error answers now (the reply is sent as before), logged', async () => {
    const lines: string[] = [];
    const budget = createDynamoSendBudget({
      dynamo: clients().doc,
      table: 'no-such-table',
      bot: freshBot(),
      perSecond: 30,
      logger: createLogger({ write: (line) => lines.push(line) }),
    });
    expect(await budget.nextSlot(S + 7)).toBe(S + 7);
    expect(lines.filter((l) => l.includes('send budget unreadable'))).toHaveLength(1);
  });
});
