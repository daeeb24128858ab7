import { randomUUID } from 'node:crypto';
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newApprovalId } from '../../src/approvals/ids.js';
import { telegramApprovalsOf } from '../../src/app/telegram-approvals.js';
import { createConversationService } from '../../src/conversations/index.js';
import type { ConversationChoices } from '../../src/conversations/types.js';
import { ManualClock } from '../../src/core/clock.js';
import { DEFAULT_TENANT, parseSessionId, type SessionId } from '../../src/core/ids.js';
import { conversationKey, projectKeyForTenant, type ConversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMemoryStorage, type MemoryStorage } from '../../src/sessions/adapters/memory/index.js';
import { entry } from '../../src/sessions/conformance/fixtures.js';
import { texts as ingressTexts } from '../../src/telegram/ingress/texts.js';
import { CALLBACK_DATA_LIMIT } from '../../src/telegram/session-data.js';
import { conversationTexts } from '../../src/telegram/worker/conversation-texts.js';
import { texts as workerTexts } from '../../src/telegram/worker/texts.js';
import type { StoredMessage } from '../fakes/telegram-api.js';
import { createFakeRunner, type FakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { FORUM, STRANGER, USER, privateText, topicText, updateId } from './updates.js';

/**
 * `/sessions`, its switch buttons, `/model`, `/agent` and `/debug`'s settings through the webhook,
 * the real ingress, the in-process queue and the worker, with the real conversation service over
 * memory storage (a manual clock for expiry) and the fake Bot API; the fake runner answers turns.
 */

const DAY = 86_400_000;
/** Strip MarkdownV2 escapes: what the user reads. */
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');
const MODELS = { haiku: 'claude-haiku-4-5', sonnet: 'claude-sonnet-4-5', opus: 'claude-opus-4-1' };

let p: Pipeline;
let storage: MemoryStorage;
let clock: ManualClock;
let runner: FakeRunner;
let choices: ConversationChoices;

const privateKey = conversationKey({ tenant: DEFAULT_TENANT, chat: USER.id });
const topicKey = conversationKey({ tenant: DEFAULT_TENANT, chat: FORUM.id, thread: 7 });

beforeEach(async () => {
  clock = new ManualClock(Date.now());
  storage = createMemoryStorage({ clock });
  runner = createFakeRunner();
  choices = { models: MODELS, defaultModel: 'claude-sonnet-4-5', agents: ['aws-support', 'reviewer'] };
  const conversations = createConversationService({
    storage,
    choices: async () => choices,
    logger: silentLogger,
    clock,
  });
  p = await startPipeline({
    runner,
    conversations,
    approvals: telegramApprovalsOf(storage),
    policy: { allowedUserIds: [USER.id] },
  });
  p.api.setChat(FORUM);
});
afterEach(async () => {
  await p?.close();
  await storage?.close();
});

/** A session of `key` with `turns` turns ending `agoMs` before now, its history in the store unless `deleted`. */
async function seed(
  key: ConversationKey,
  title: string,
  options: { turns?: number; agoMs?: number; deleted?: boolean } = {},
): Promise<SessionId> {
  const id = parseSessionId(randomUUID());
  const turns = options.turns ?? 2;
  const end = clock.now() - (options.agoMs ?? 0);
  for (let i = 0; i < turns; i++) {
    await storage.sessions.recordTurn(key, id, {
      at: end - (turns - 1 - i) * 1000,
      title: i === 0 ? title : 'later question',
      costUsd: 0.0125,
      model: 'claude-sonnet-4-5',
    });
  }
  if (!options.deleted) {
    await storage.transcripts.append({ projectKey: projectKeyForTenant(key.tenant), sessionId: id }, [
      entry(title),
    ]);
  }
  return id;
}

/** A tap on one of the bot's messages, as Telegram sends it (the message's own chat and topic). */
function tap(
  data: string,
  on: { chatId: number; messageId: number; thread?: number },
  from: typeof USER | typeof STRANGER = USER,
  id = updateId(),
): Update {
  const chat =
    on.chatId === FORUM.id ? FORUM : { id: on.chatId, first_name: from.first_name, type: 'private' };
  return {
    update_id: id,
    callback_query: {
      id: `cb-${id}`,
      from,
      chat_instance: '-4242',
      data,
      message: {
        message_id: on.messageId,
        date: Math.floor(Date.now() / 1000),
        chat,
        from: { id: p.api.botInfo.id, is_bot: true, first_name: 'OmniCloud Test Bot' },
        text: 'Sessions in this conversation',
        ...(on.thread === undefined ? {} : { message_thread_id: on.thread, is_topic_message: true }),
      },
    },
  } as unknown as Update;
}

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };
const buttonsOf = (m: StoredMessage): Array<{ text: string; callback_data: string }> =>
  ((m.replyMarkup as Keyboard | undefined)?.inline_keyboard ?? []).flat();

/** The bot's latest message in the chat whose text starts with the list header. */
function listMessage(chatId: number): StoredMessage {
  const found = p.api
    .messages(chatId)
    .filter((m) => m.text.startsWith(conversationTexts.sessionsHeader))
    .at(-1);
  if (!found) throw new Error('no /sessions list was sent');
  return found;
}

const texts = (chatId: number = USER.id, threadId?: number): string[] =>
  p.api.sentTexts(threadId === undefined ? { chatId } : { chatId, threadId });
const answers = (): Array<{ text: string; alert: boolean }> =>
  p.api.callsTo('answerCallbackQuery').map((c) => ({
    text: String(c.params.text),
    alert: c.params.show_alert === true,
  }));
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** Send `/command` in the private chat and wait for the worker's `count`-th message there. */
async function say(text: string, update: Update = privateText(text)): Promise<string> {
  const before = texts().length;
  expect((await p.post(update)).status).toBe(200);
  await p.api.waitFor(() => texts().length > before);
  return texts().at(-1) ?? '';
}

describe('/sessions', () => {
  it('says so when the conversation has no session yet', async () => {
    expect(await say('/sessions')).toBe(conversationTexts.sessionsNone);
  });

  it('lists the sessions newest first with their state, and a button for each one that can be continued', async () => {
    const old = await seed(privateKey, 'Why did the nightly backup fail?', { turns: 3, agoMs: 3 * DAY });
    const older = await seed(privateKey, 'Rotate the\nAPI keys   please', { turns: 1, agoMs: 2 * DAY });
    const expired = await seed(privateKey, 'Ancient question', { agoMs: 30 * DAY });
    const deleted = await seed(privateKey, 'Deleted question', { agoMs: 4 * DAY, deleted: true });
    const current = await seed(privateKey, 'Disk usage on db-1?', { turns: 4, agoMs: 2 * 3_600_000 });
    await storage.conversations.switchTo(privateKey, current, 4);
    await seed(topicKey, 'A question of another topic');

    const text = await say('/sessions');
    const lines = text.split('\n');
    expect(lines[0]).toBe(conversationTexts.sessionsHeader);
    // Newest first: current (2 h ago), then 2, 3 and 4 days ago, then the expired one.
    expect(text.indexOf('Disk usage on db-1?')).toBeLessThan(text.indexOf('Rotate the API keys please'));
    expect(text.indexOf('Rotate the API keys please')).toBeLessThan(text.indexOf('Why did the nightly'));
    expect(text.indexOf('Why did the nightly')).toBeLessThan(text.indexOf('Deleted question'));
    expect(text.indexOf('Deleted question')).toBeLessThan(text.indexOf('Ancient question'));
    expect(text).toContain('▶ 2 h ago · 4 turns · $0.0500 · current');
    expect(text).toMatch(/1\. \d+ \w{3} \d\d:\d\d UTC · 1 turn · \$0\.0125\n {3}Rotate the API keys please/);
    expect(text).toMatch(/ · deleted\n {3}Deleted question/);
    expect(text).toMatch(/ · expired\n {3}Ancient question/);
    expect(text).not.toContain('another topic');
    expect(text).toContain(conversationTexts.sessionsHint);

    const buttons = buttonsOf(listMessage(USER.id));
    expect(buttons.map((b) => b.callback_data)).toEqual([`ss:${older}`, `ss:${old}`]);
    expect(buttons.map((b) => b.text)).toEqual([
      '↩ Rotate the API keys please',
      '↩ Why did the nightly backup fail?',
    ]);
    for (const b of buttons)
      expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
    expect(buttons.some((b) => b.callback_data.includes(expired) || b.callback_data.includes(deleted))).toBe(
      false,
    );
  });

  it('shows the current session with its catalog entry even when it is older than those listed', async () => {
    const oldest = await seed(privateKey, 'The oldest question', { turns: 3, agoMs: 5 * DAY });
    await seed(privateKey, 'newer one', { agoMs: DAY });
    await storage.conversations.switchTo(privateKey, oldest, 3);
    const text = await say('/sessions 1');
    expect(text).toContain('· 3 turns · $0.0375 · current\n   The oldest question');
    expect(text).not.toContain('newer one');
  });

  it('takes a count (1–20) and refuses anything else without queueing', async () => {
    for (let i = 0; i < 4; i++) await seed(privateKey, `question ${i}`, { agoMs: (10 - i) * 60_000 });
    const two = await say('/sessions 2');
    expect(two).toContain('question 3');
    expect(two).toContain('question 2');
    expect(two).not.toContain('question 1');
    for (const bad of ['/sessions 0', '/sessions 21', '/sessions two', '/sessions -1']) {
      expect(await say(bad)).toBe(ingressTexts.sessionsUsage(20));
    }
  });
});

describe('a /sessions button', () => {
  async function listed(): Promise<{ a: SessionId; b: SessionId; list: StoredMessage }> {
    const a = await seed(privateKey, 'First topic: DNS', { turns: 3, agoMs: DAY });
    const b = await seed(privateKey, 'Second topic: costs', { turns: 1, agoMs: 60_000 });
    await storage.conversations.switchTo(privateKey, b, 1);
    await say('/sessions');
    return { a, b, list: listMessage(USER.id) };
  }

  it('switches the conversation (its next turn continues that session), answers at once and refreshes the list', async () => {
    const { a, b, list } = await listed();
    const reply = await say('', tap(`ss:${a}`, { chatId: USER.id, messageId: list.messageId }));
    expect(answers().at(-1)).toEqual({ text: ingressTexts.sessionSwitching, alert: false });
    expect(reply).toMatch(
      /^Continuing the session from \d+ \w{3} \d\d:\d\d UTC: First topic: DNS \(3 turns\)\./,
    );
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: a, turns: 3 });
    // The list now marks the chosen session current and offers the other one.
    await p.api.waitFor(() => buttonsOf(listMessage(USER.id))[0]?.callback_data === `ss:${b}`);
    expect(listMessage(USER.id).text).toContain('· current\n   First topic: DNS');

    await say('and now?');
    expect(runner.turns.at(-1)?.text).toBe('and now?');
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: a });
  });

  it('cancels the approval request the previous session waited on, and says so on its message', async () => {
    const { a, b, list } = await listed();
    const shown = await p.service.bot.api.sendMessage(USER.id, 'Approval needed: echo hi');
    const id = newApprovalId();
    await storage.approvals.create({
      id,
      key: privateKey,
      sessionId: b,
      toolUseId: 'toolu_01',
      tool: 'Bash',
      input: JSON.stringify({ command: 'echo hi' }),
      summary: 'echo hi',
      grantRule: 'Bash(echo *)',
      requestedBy: String(USER.id),
      createdAt: clock.now(),
      expiresAt: clock.now() + 30 * 60_000,
      status: 'pending',
      notice: { chatId: USER.id, messageId: shown.message_id },
    });
    await storage.conversations.touch(privateKey, b, { pendingApproval: id });
    await say('', tap(`ss:${a}`, { chatId: USER.id, messageId: list.messageId }));
    expect(await storage.approvals.get(DEFAULT_TENANT, id)).toMatchObject({
      status: 'cancelled',
      resolvedBy: String(USER.id),
    });
    await p.api.waitFor(() =>
      unescape(p.api.messages(USER.id).find((m) => m.messageId === shown.message_id)?.text ?? '').includes(
        'Cancelled by /sessions',
      ),
    );
    expect((await storage.conversations.get(privateKey))?.pendingApproval).toBeUndefined();
  });

  it('waits for a turn holding the conversation (busy is retried by the queue), then switches', async () => {
    const { a, b, list } = await listed();
    const lease = await storage.leases.acquire(privateKey, { ttlMs: 60_000 });
    const sent = texts().length;
    await p.post(tap(`ss:${a}`, { chatId: USER.id, messageId: list.messageId }));
    await settle();
    expect(texts()).toHaveLength(sent);
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: b });
    await storage.leases.release(lease);
    await p.api.waitFor(() => texts().some((t) => t.startsWith('Continuing')), 10_000);
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: a });
  });

  it('a tap delivered twice switches once; a second tap on the current session says so', async () => {
    const { a, list } = await listed();
    const update = tap(`ss:${a}`, { chatId: USER.id, messageId: list.messageId });
    await Promise.all([p.post(update), p.post(update)]);
    await p.api.waitFor(() => texts().some((t) => t.startsWith('Continuing')));
    await settle();
    expect(texts().filter((t) => t.startsWith('Continuing'))).toHaveLength(1);
    const again = await say('', tap(`ss:${a}`, { chatId: USER.id, messageId: list.messageId }));
    expect(again).toBe('This conversation is already on that session (First topic: DNS): nothing changed.');
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: a, turns: 3 });
  });

  it('refuses forged or malformed data at once, queueing nothing', async () => {
    const { b, list } = await listed();
    const sent = texts().length;
    for (const data of [
      'ss:',
      'ss:../../etc/passwd',
      `ss:${randomUUID().toUpperCase()}`,
      `ss:${randomUUID()}:x`,
      `ss:${'a'.repeat(60)}`,
    ]) {
      await p.post(tap(data, { chatId: USER.id, messageId: list.messageId }));
      expect(answers().at(-1)).toEqual({ text: ingressTexts.buttonUnknown, alert: true });
    }
    await settle();
    expect(texts()).toHaveLength(sent);
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: b, turns: 1 });
  });

  it('acts on the conversation of the message the button is on: a session of another chat or topic is refused', async () => {
    const { a, b } = await listed();
    const topicSession = await seed(topicKey, 'Topic work');
    await storage.conversations.switchTo(topicKey, topicSession, 2);
    // The private chat's session pressed on a message in topic 7: the topic is the conversation.
    await p.post(tap(`ss:${a}`, { chatId: FORUM.id, messageId: 4242, thread: 7 }));
    await p.api.waitFor(() => texts(FORUM.id, 7).includes(conversationTexts.switchNotFound));
    expect(await storage.conversations.get(topicKey)).toMatchObject({ sessionId: topicSession });
    // The topic's session pressed in the private chat.
    expect(await say('', tap(`ss:${topicSession}`, { chatId: USER.id, messageId: 1 }))).toBe(
      conversationTexts.switchNotFound,
    );
    // A session id nobody has.
    expect(await say('', tap(`ss:${randomUUID()}`, { chatId: USER.id, messageId: 1 }))).toBe(
      conversationTexts.switchNotFound,
    );
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: b, turns: 1 });
  });

  it('refuses an expired session and a deleted one, changing nothing', async () => {
    const { a, b } = await listed();
    const deleted = await seed(privateKey, 'gone', { agoMs: DAY, deleted: true });
    expect(await say('', tap(`ss:${deleted}`, { chatId: USER.id, messageId: 1 }))).toBe(
      conversationTexts.switchMissing,
    );
    clock.advance(25 * DAY); // `a` ended a day ago: its history is now past the horizon
    await storage.conversations.switchTo(privateKey, b, 1); // the map record outlived it (refreshed)
    expect(await say('', tap(`ss:${a}`, { chatId: USER.id, messageId: 1 }))).toBe(
      conversationTexts.switchExpired,
    );
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: b, turns: 1 });
  });

  it('refuses a user who may not talk to the bot, and a message too old to show its chat', async () => {
    const { a, b, list } = await listed();
    const sent = texts().length;
    await p.post(tap(`ss:${a}`, { chatId: USER.id, messageId: list.messageId }, STRANGER));
    expect(answers().at(-1)).toEqual({ text: ingressTexts.buttonNotAllowed, alert: true });
    const old = tap(`ss:${a}`, { chatId: USER.id, messageId: list.messageId }) as {
      callback_query: { message: { date: number } };
    };
    old.callback_query.message.date = 0; // an inaccessible message
    await p.post(old);
    expect(answers().at(-1)).toEqual({ text: ingressTexts.sessionButtonStale, alert: true });
    await settle();
    expect(texts()).toHaveLength(sent);
    expect(await storage.conversations.get(privateKey)).toMatchObject({ sessionId: b });
  });
});

describe('/model and /agent', () => {
  it('/model shows the setting, the default and the choices; sets, refuses unknown names, resets', async () => {
    const shown = await say('/model');
    expect(shown).toContain('Model here: the default, claude-sonnet-4-5.');
    expect(shown).toContain(
      'Models: haiku (claude-haiku-4-5), sonnet (claude-sonnet-4-5), opus (claude-opus-4-1).',
    );
    expect(await say('/model opus')).toBe(
      'Model set to opus (claude-opus-4-1) for this conversation, from the next message.',
    );
    expect((await storage.conversations.get(privateKey))?.model).toBe('opus');
    expect(await say('/model')).toContain('Model here: opus (claude-opus-4-1).');

    const refused = await say('/model gpt-4');
    expect(refused).toContain('There is no model "gpt-4" here: nothing changed.');
    expect(refused).toContain('Models: haiku (claude-haiku-4-5)');
    expect((await storage.conversations.get(privateKey))?.model).toBe('opus');
    expect(await say('/model two words')).toBe(ingressTexts.settingUsage('model'));

    // A setting whose alias was removed from the tenant since is shown as stale.
    choices = { ...choices, models: { haiku: MODELS.haiku } };
    expect(await say('/model')).toContain(
      "Model here: opus, no longer one of this tenant's models, so the default (claude-sonnet-4-5) answers.",
    );
    expect(await say('/model default')).toBe(
      'Model back to the default (claude-sonnet-4-5) for this conversation.',
    );
    expect((await storage.conversations.get(privateKey))?.model).toBeUndefined();
    expect(await say('/model RESET')).toContain('Model back to the default');
  });

  it('/agent shows, sets, refuses and resets; a tenant without agents says so', async () => {
    expect(await say('/agent')).toBe(
      [
        'Agent here: the main agent (default).',
        'Agents: aws-support, reviewer.',
        'Choose one with /agent <name>; /agent default goes back to the main agent. Kept until /new.',
      ].join('\n'),
    );
    expect(await say('/agent reviewer')).toBe(
      'Agent set to reviewer for this conversation, from the next message.',
    );
    expect(await say('/agent nobody')).toBe(
      'There is no agent "nobody" here: nothing changed.\nAgents: aws-support, reviewer.',
    );
    expect((await storage.conversations.get(privateKey))?.agent).toBe('reviewer');
    expect(await say('/agent default')).toBe('Agent back to the main agent for this conversation.');
    expect((await storage.conversations.get(privateKey))?.agent).toBeUndefined();

    choices = { ...choices, agents: [] };
    expect(await say('/agent')).toBe(
      'This tenant has no configured agents (agents.json): every turn uses the main agent.',
    );
    expect(await say('/agent reviewer')).toBe(
      'There is no agent "reviewer": this tenant has no configured agents (agents.json). Nothing changed.',
    );
  });

  it('settings of one topic are not another conversation’s', async () => {
    const before = texts(FORUM.id, 7).length;
    await p.post(topicText(7, '/model haiku'));
    await p.api.waitFor(() => texts(FORUM.id, 7).length > before);
    expect((await storage.conversations.get(topicKey))?.model).toBe('haiku');
    expect(await storage.conversations.get(privateKey)).toBeNull();
  });

  it('/debug shows the session, the model and the agent', async () => {
    /** `/debug`'s first message (its settings part); transcript export is not configured here. */
    const debug = async (): Promise<string> => {
      const before = texts().length;
      await p.post(privateText('/debug'));
      await p.api.waitFor(() => texts().slice(before).includes(workerTexts.debugUnavailable));
      const [settings, approvals] = (texts()[before] ?? '').split('\n\n');
      // One message: the settings, then the approvals part.
      expect(approvals?.split('\n')[0]).toBe(workerTexts.debugApprovalsNone);
      return settings ?? '';
    };
    expect(await debug()).toBe(
      'Session: none yet (the next message starts one)\nModel: the default, claude-sonnet-4-5\nAgent: the main agent (default)',
    );
    const id = await seed(privateKey, 'something', { turns: 2 });
    await storage.conversations.switchTo(privateKey, id, 2);
    await say('/model haiku');
    await say('/agent aws-support');
    expect(await debug()).toBe(
      `Session: ${id} (2 turns)\nModel: haiku (claude-haiku-4-5)\nAgent: aws-support`,
    );
  });
});

describe('without conversation management configured', () => {
  it('/sessions, /model, /agent say so and /debug carries on without its settings part', async () => {
    await p.close();
    p = await startPipeline({ runner });
    for (const command of ['/sessions', '/model', '/agent opus']) {
      expect(await say(command)).toBe(conversationTexts.unavailable);
    }
    expect(await say('/debug')).toBe(workerTexts.debugUnavailable);
  });
});
