import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConversationService } from '../../src/conversations/index.js';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { DEFAULT_MODEL_ALIASES } from '../../src/tenants/models.js';
import { conversationTexts } from '../../src/telegram/worker/conversation-texts.js';
import { texts as workerTexts } from '../../src/telegram/worker/texts.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { USER, privateText, updateId } from './updates.js';

/**
 * Switching sessions end to end with the REAL runner and binary (offline demo model, SQLite
 * storage, in-process queue, fake Bot API): the runner records each turn in the session catalog,
 * `/sessions` lists them, a button tap points the conversation at an earlier session, and the next
 * message resumes it — the demo model says how many earlier user messages it was shown. `/new`
 * removes the conversation's record and with it the model and agent chosen for it.
 */

const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');
const key = conversationKey({ tenant: DEFAULT_TENANT, chat: USER.id });

describe('Telegram session switching end to end (real agent)', () => {
  let h: AgentHarness;
  let p: Pipeline;
  beforeEach(async () => {
    h = await startAgentHarness();
    const conversations = createConversationService({
      storage: h.storage,
      choices: async () => ({ models: DEFAULT_MODEL_ALIASES, defaultModel: undefined, agents: ['reviewer'] }),
      logger: silentLogger,
    });
    p = await startPipeline({ runner: h.runner, conversations, live: { enabled: false } });
  });
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  const read = (): string[] => p.api.sentTexts({ chatId: USER.id }).map(unescape);
  /** Post an update and return the next message the bot sends in the private chat. */
  async function send(update: Update): Promise<string> {
    const before = read().length;
    expect((await p.post(update)).status).toBe(200);
    await p.api.waitFor(() => read().length > before, 30_000);
    return read()[before] ?? '';
  }
  const say = (text: string): Promise<string> => send(privateText(text));

  it('a tap on /sessions continues the earlier session at the next message; /new clears model and agent', async () => {
    expect(await say('first question about DNS')).toMatch(/no earlier user message/);
    expect(await say('second question about DNS')).toMatch(/1 earlier user message/);
    const first = (await h.storage.conversations.get(key))?.sessionId;
    expect(await say('/new')).toBe(workerTexts.resetDone);
    expect(await say('a fresh question')).toMatch(/no earlier user message/);

    const list = await say('/sessions');
    expect(list).toContain('· current\n   a fresh question');
    expect(list).toContain('2 turns · $');
    const message = p.api
      .messages(USER.id)
      .filter((m) => m.text.startsWith(conversationTexts.sessionsHeader))
      .at(-1);
    const buttons = (
      message?.replyMarkup as { inline_keyboard: Array<Array<{ callback_data: string }>> } | undefined
    )?.inline_keyboard.flat();
    expect(buttons?.map((b) => b.callback_data)).toEqual([`ss:${first}`]);

    const id = updateId();
    const tap = {
      update_id: id,
      callback_query: {
        id: `cb-${id}`,
        from: USER,
        chat_instance: '-1',
        data: `ss:${first}`,
        message: {
          message_id: message?.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: USER.id, first_name: USER.first_name, type: 'private' },
          text: message?.text,
        },
      },
    } as unknown as Update;
    expect(await send(tap)).toMatch(/^Continuing the session from .*: first question about DNS \(2 turns\)/);
    expect(await h.storage.conversations.get(key)).toMatchObject({ sessionId: first, turns: 2 });

    // The real runner resumes the chosen session: the model is shown its two earlier questions.
    expect(await say('third question about DNS')).toMatch(/2 earlier user messages/);
    expect(await h.storage.conversations.get(key)).toMatchObject({ sessionId: first, turns: 3 });

    expect(await say('/model opus')).toContain('Model set to opus');
    expect(await say('/agent reviewer')).toContain('Agent set to reviewer');
    expect(await h.storage.conversations.get(key)).toMatchObject({ model: 'opus', agent: 'reviewer' });
    expect(await say('/new')).toBe(workerTexts.resetDone);
    expect(await h.storage.conversations.get(key)).toBeNull();
    expect(await say('/model')).toContain("Model here: the default, the deployment's default model.");
    expect(await say('/agent')).toContain('Agent here: the main agent (default).');
  }, 120_000);
});
