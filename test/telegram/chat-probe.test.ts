import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramBot } from '../../src/telegram/bot.js';
import { probeBotInChat } from '../../src/telegram/chat-probe.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';

let api: FakeTelegramApi;
beforeAll(async () => {
  api = await startFakeTelegramApi();
});
afterAll(() => api?.close());

const probe = (chatId: number) => {
  const bot = createTelegramBot({ token: api.token, apiRoot: api.apiRoot, botInfo: api.botInfo });
  return probeBotInChat(bot.api, api.botInfo.id, chatId);
};
const bot = () => ({ id: api.botInfo.id, is_bot: true as const, first_name: 'Bot' });

describe('probeBotInChat (a schedule target the bot must be in)', () => {
  it('is ok for a member or administrator, not_member when it left or was removed', async () => {
    expect(await probe(-1001)).toBe('ok');
    api.setChatMember(-1002, { status: 'left', user: bot() });
    api.setChatMember(-1003, { status: 'kicked', user: bot(), until_date: 0 });
    expect(await probe(-1002)).toBe('not_member');
    expect(await probe(-1003)).toBe('not_member');
  });

  it("reads Telegram's refusals: chat not found → not_member; anything else → unknown", async () => {
    api.failNext('getChatMember', { error_code: 400, description: 'Bad Request: chat not found' });
    expect(await probe(-1004)).toBe('not_member');
    api.failNext('getChatMember', {
      error_code: 403,
      description: 'Forbidden: bot is not a member of the supergroup chat',
    });
    expect(await probe(-1004)).toBe('not_member');
    api.failNext('getChatMember', { error_code: 400, description: 'Bad Request: PARTICIPANT_ID_INVALID' });
    expect(await probe(-1004)).toBe('unknown');
  });
});
