import type { ApiCallFn } from 'grammy';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { SendBudgetShortError } from './errors.js';
import { createMemorySendBudget } from './memory.js';
import { createSendPacer } from './pacer.js';
import { sendBudgetTransformer } from './transformer.js';

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 11, 2));
  const slept: number[] = [];
  const pacer = createSendPacer({
    budget: createMemorySendBudget(30),
    clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  });
  const sent: string[] = [];
  const prev = (async (method: string) => {
    sent.push(method);
    return { ok: true, result: true };
  }) as unknown as ApiCallFn;
  return { pacer, prev, sent, slept };
}

describe('send budget transformer', () => {
  it('waits for a chat’s slot in `wait` mode, in order', async () => {
    const { pacer, prev, sent, slept } = setup();
    const call = sendBudgetTransformer(pacer, 'wait');
    for (let i = 0; i < 3; i++) await call(prev, 'sendMessage', { chat_id: 5, text: `part ${i}` });
    expect(sent).toEqual(['sendMessage', 'sendMessage', 'sendMessage']);
    expect(slept).toEqual([1100, 1100]);
  });

  it('never paces a button answer, a reaction or a read', async () => {
    const { pacer, prev, sent, slept } = setup();
    const call = sendBudgetTransformer(pacer, 'wait');
    await call(prev, 'sendMessage', { chat_id: 5, text: 'a' });
    await call(prev, 'answerCallbackQuery', { callback_query_id: 'q' });
    await call(prev, 'setMessageReaction', { chat_id: 5, message_id: 1 });
    await call(prev, 'getChatMember', { chat_id: 5, user_id: 1 });
    expect(sent).toHaveLength(4);
    expect(slept).toEqual([]);
  });

  it('drops "typing…" unsent when the bot has no slot now, answering true', async () => {
    const { pacer, prev, sent } = setup();
    const call = sendBudgetTransformer(pacer, 'wait');
    // 40 replies booked in other chats: the bot's next second is taken.
    await Promise.all(Array.from({ length: 40 }, (_, i) => pacer.schedule(100 + i, 'wait')));
    const typing = await call(prev, 'sendChatAction', { chat_id: 5, action: 'typing' });
    expect(typing).toEqual({ ok: true, result: true });
    expect(sent).toEqual([]);
  });

  it('skips a live update with SendBudgetShortError when its chat has no slot now', async () => {
    const { pacer, prev, sent } = setup();
    const live = sendBudgetTransformer(pacer, 'now');
    await live(prev, 'editMessageText', { chat_id: -7, message_id: 1, text: 'a' });
    await expect(
      live(prev, 'editMessageText', { chat_id: -7, message_id: 1, text: 'b' }),
    ).rejects.toBeInstanceOf(SendBudgetShortError);
    expect(sent).toEqual(['editMessageText']);
  });
});
