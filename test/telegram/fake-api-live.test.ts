import type { GrammyError } from 'grammy';
import { Api } from 'grammy';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';

let fake: FakeTelegramApi;
let api: Api;
beforeEach(async () => {
  fake = await startFakeTelegramApi();
  api = new Api(fake.token, { apiRoot: fake.apiRoot });
});
afterEach(async () => {
  await fake.close();
});

const refusal = (p: Promise<unknown>): Promise<GrammyError> =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err as GrammyError,
  );

describe('fake Telegram Bot API: edits, drafts and flood limits', () => {
  it("keeps the bot's messages so edits answer like Telegram", async () => {
    const sent = await api.sendMessage(-5, 'one', {
      reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'y' }]] },
    });
    await api.editMessageText(-5, sent.message_id, 'two', {
      reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'y' }]] },
    });
    const same = await refusal(
      api.editMessageText(-5, sent.message_id, 'two', {
        reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'y' }]] },
      }),
    );
    expect(same.description).toMatch(/^Bad Request: message is not modified/);
    // Without reply_markup the keyboard goes, as in Telegram.
    await api.editMessageText(-5, sent.message_id, 'two');
    expect(fake.messages(-5)[0]).toMatchObject({ text: 'two', deleted: false });
    expect(fake.messages(-5)[0]?.replyMarkup).toBeUndefined();
    expect((await refusal(api.editMessageText(-5, 999_999, 'x'))).description).toBe(
      'Bad Request: message to edit not found',
    );
    fake.deleteByUser(-5, sent.message_id);
    expect((await refusal(api.editMessageText(-5, sent.message_id, 'three'))).error_code).toBe(400);
    expect((await refusal(api.deleteMessage(-5, sent.message_id))).description).toBe(
      'Bad Request: message to delete not found',
    );
    expect((await refusal(api.editMessageText(-5, sent.message_id, 'x'.repeat(4097)))).error_code).toBe(400);
  });

  it('accepts drafts in private chats only, with a non-zero id', async () => {
    await expect(api.sendMessageDraft(7, 42, 'partial')).resolves.toBe(true);
    expect((await refusal(api.sendMessageDraft(-7, 42, 'partial'))).error_code).toBe(400);
    expect((await refusal(api.sendMessageDraft(7, 0, 'partial'))).error_code).toBe(400);
    await expect(api.answerCallbackQuery('cb-1')).resolves.toBe(true);
    expect(fake.callsTo('sendMessageDraft').map((c) => c.params.text)).toEqual(['partial']);
  });

  it('emulates per-chat flood limits with a 429 and retry_after, and measures the rate', async () => {
    fake.setRateLimit({ perSecond: 2, groupPerMinute: 3 });
    await api.sendMessage(1, 'a');
    await api.sendMessage(1, 'b');
    const third = await refusal(api.sendMessage(1, 'c'));
    expect(third.error_code).toBe(429);
    expect(third.parameters.retry_after).toBeGreaterThanOrEqual(1);
    await api.sendMessage(2, 'another chat is not limited');
    await api.sendChatAction(1, 'typing'); // not counted
    expect(fake.maxUpdatesPerWindow(1, ['sendMessage'])).toBe(2);
    expect(fake.rateLimited()).toHaveLength(1);
    fake.setRateLimit({ groupPerMinute: 3 });
    for (const t of ['a', 'b', 'c']) await api.sendMessage(-9, t);
    const fourth = await refusal(api.sendMessage(-9, 'd'));
    expect(fourth.parameters.retry_after).toBeGreaterThan(50);
    fake.setRateLimit(undefined);
    await api.sendMessage(-9, 'd');
  });
});
