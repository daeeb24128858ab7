import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryDeferredError } from '../../src/core/delivery-deferred.js';
import { conversationKey } from '../../src/core/keys.js';
import { DEFAULT_TENANT, parseRequestId } from '../../src/core/ids.js';
import type { AgentWork, Delivery } from '../../src/queue/types.js';
import { createMemorySendBudget } from '../../src/telegram/send-budget/memory.js';
import { createTenantBot } from '../../src/telegram/tenant-bot.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { bookWhenModelAsked } from '../support/book-when-asked.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';

/**
 * The reply outbox at the worker (docs/scale.md §8.8), with the REAL runner (SDK binary, offline
 * model, SQLite ledger) and the fake Bot API: a finished turn whose bot is booked far ahead is
 * deferred only when its delivery allows it — nothing is sent (no "failed" message either), the
 * result stays recorded and undelivered — and the message's next delivery sends that result once
 * without asking the model again.
 */
const CHAT = 5151;
const key = conversationKey({ tenant: 'default', chat: CHAT });
const PER_SECOND = 10;

let h: AgentHarness;
let api: FakeTelegramApi;
beforeEach(async () => {
  h = await startAgentHarness();
  api = await startFakeTelegramApi();
});
afterEach(async () => {
  await api?.close();
  await h?.close();
});

let updates = 7000;
function work(text: string, chat = CHAT): AgentWork {
  return {
    kind: 'agent',
    key: conversationKey({ tenant: 'default', chat }),
    source: { type: 'telegram', updateId: ++updates, userId: chat, replyTo: { chatId: chat } },
    text,
    messageTime: Date.now(),
  };
}

/**
 * The tenant's worker as wired in production (`createTenantBot`). With `aheadMs`, the bot's budget
 * is booked that far ahead (other chats' replies) when the turn asks the model, so its reply's slot
 * is that far off when the turn ends, however long the turn took on a loaded machine.
 */
function tenantWorker(aheadMs = 0) {
  const budget = createMemorySendBudget(PER_SECOND);
  const booked = bookWhenModelAsked(h.model, async () => {
    while ((await budget.nextSlot(Date.now())) < Date.now() + aheadMs)
      await budget.reserve(Date.now(), 'wait');
  });
  const { worker } = createTenantBot({
    tenant: DEFAULT_TENANT,
    token: api.token,
    apiRoot: api.apiRoot,
    botInfo: api.botInfo,
    sendBudget: budget,
    // Defer a reply whose slot is more than 2 s away (production: 10 s), so the test waits little.
    worker: {
      runner: h.runner,
      live: { enabled: false },
      outbox: { nextSlot: budget.nextSlot, deferAfterMs: 2000 },
    },
  });
  return { worker, booked };
}

const mayDefer: Delivery = { receiveCount: 1, maxReceives: 5, defer: true };

describe('worker: the reply outbox', () => {
  it('defers a far reply when allowed; the next delivery sends the recorded result once, model not asked again', async () => {
    const { worker, booked } = tenantWorker(8000);
    const message = work('deferred hello');
    const err = await worker(message, mayDefer).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(booked()).toBe(1);
    expect(err).toBeInstanceOf(DeliveryDeferredError);
    // Deferred to the bot's next slot: after the ~80 slots booked at 10/s, not now.
    expect((err as DeliveryDeferredError).untilMs).toBeGreaterThan(Date.now() + 2000);
    expect((err as DeliveryDeferredError).untilMs).toBeLessThanOrEqual(Date.now() + 8200);
    expect(api.sentTexts({ chatId: CHAT })).toEqual([]); // no reply and no "sorry, it failed"
    const record = await h.storage.turns.get(key, parseRequestId(`tg:${message.source.updateId}`));
    expect(record?.state).toBe('done');
    expect(record?.delivered).toBe(false);
    const modelRequests = h.model.requests.length;
    expect(modelRequests).toBeGreaterThan(0);

    // Its last receives never defer: the worker waits for the slot (seconds) and sends.
    await worker(message, { receiveCount: 4, maxReceives: 5 });
    const replies = api.sentTexts({ chatId: CHAT });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain('deferred hello');
    expect(h.model.requests).toHaveLength(modelRequests);
    expect((await h.storage.turns.get(key, parseRequestId(`tg:${message.source.updateId}`)))?.delivered).toBe(
      true,
    );

    // Delivered: a later re-delivery sends nothing.
    await worker(message, mayDefer);
    expect(api.sentTexts({ chatId: CHAT })).toHaveLength(1);
  }, 60_000);

  it('a near slot, or a delivery that may not defer, is answered as before', async () => {
    const near = tenantWorker().worker;
    await near(work('near slot'), mayDefer);
    expect(api.sentTexts({ chatId: CHAT }).at(-1)).toContain('near slot');

    const far = tenantWorker(3000).worker;
    await far(work('no defer allowed', CHAT + 1), { receiveCount: 1, maxReceives: 5 });
    expect(api.sentTexts({ chatId: CHAT + 1 }).at(-1)).toContain('no defer allowed');
  }, 60_000);
});
