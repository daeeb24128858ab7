import { Bot } from 'grammy';
import type { Message, UserFromGetMe } from 'grammy/types';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../core/ids.js';
import {
  decodeQueuedMessage,
  encodeQueuedMessage,
  MAX_AUTHOR_NAME,
  MAX_QUOTE_TEXT,
} from '../../queue/message.js';
import type { AgentWork, QueuedMessage } from '../../queue/types.js';
import { createMemoryDeduper } from '../dedupe/memory.js';
import { createIngress } from './ingress.js';
import { clip, senderOf } from './message-context.js';
import { mountTelegramWebhook } from './webhook.js';

const SECRET = 'message-context-secret';
const BOT = { id: 999, is_bot: true, first_name: 'Omni', username: 'omni_test_bot' };
const ALICE = { id: 123456, is_bot: false, first_name: 'Alice', last_name: 'Smith', username: 'alice' };
const BOB = { id: 654321, is_bot: false, first_name: 'Bob' };
const FORUM = { id: -1001234567890, title: 'Ops', type: 'supergroup', is_forum: true };
const GROUP = { id: -1009876543210, title: 'Chatter', type: 'supergroup' };
const PRIVATE = { id: ALICE.id, first_name: 'Alice', type: 'private' };
const TOPIC = 77;

/** The ingress behind the webhook route, the Bot API stubbed with a transformer (no network). */
function setup() {
  const enqueued: QueuedMessage[] = [];
  const bot = new Bot('1:x', { botInfo: BOT as UserFromGetMe });
  bot.api.config.use(async () => ({ ok: true, result: true }) as never);
  bot.use(
    createIngress({
      tenant: DEFAULT_TENANT,
      queue: { enqueue: async (m) => void enqueued.push(m) },
      deduper: createMemoryDeduper(),
      policy: { nonForumGroups: 'respond' },
    }),
  );
  const app = mountTelegramWebhook(new Hono(), {
    resolve: (t: string) => (t === 'default' ? { bot, secretToken: SECRET } : undefined),
  });
  let next = 100;
  /** Post a message and return the work item it queued (through the wire codec, as SQS would). */
  const post = async (message: Record<string, unknown>): Promise<AgentWork> => {
    const res = await app.request('/telegram/default', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify({
        update_id: next++,
        message: { message_id: next, date: 1_700_000_000, from: ALICE, text: 'is prod down?', ...message },
      }),
    });
    expect(res.status).toBe(200);
    const item = enqueued.at(-1);
    if (item?.kind !== 'agent') throw new Error('no agent work queued');
    return decodeQueuedMessage(encodeQueuedMessage(item)) as AgentWork;
  };
  return { post };
}

/** A message in the on-call topic (Telegram's shape: every one replies to the topic's creation). */
const inTopic = (fields: Record<string, unknown> = {}) => ({
  chat: FORUM,
  message_thread_id: TOPIC,
  is_topic_message: true,
  reply_to_message: topicCreated,
  ...fields,
});
const topicCreated = {
  message_id: TOPIC,
  date: 1_699_999_000,
  chat: FORUM,
  from: BOB,
  message_thread_id: TOPIC,
  forum_topic_created: { name: 'on-call', icon_color: 7322096 },
};
const earlier = (from: Record<string, unknown>, fields: Record<string, unknown> = {}) => ({
  message_id: 90,
  date: 1_699_999_500,
  chat: FORUM,
  from,
  message_thread_id: TOPIC,
  is_topic_message: true,
  text: 'disk on db-1 at 91%, and climbing',
  ...fields,
});

describe('ingress: who is speaking and what a reply quotes (issue 17)', () => {
  it('names the sender of a group topic message, and not the implicit reply to the topic creation', async () => {
    const work = await setup().post(inTopic());
    expect(work.sender).toEqual({ name: 'Alice Smith', id: ALICE.id, username: 'alice' });
    expect(work.quote).toBeUndefined();
    expect(work.text).toBe('is prod down?');
  });

  it('names the sender in a group without topics the bot answers in', async () => {
    const work = await setup().post({ chat: GROUP, from: BOB });
    expect(work.sender).toEqual({ name: 'Bob', id: BOB.id });
  });

  it('names nobody in a private chat (and the item is what it was)', async () => {
    const work = await setup().post({ chat: PRIVATE });
    expect(work).not.toHaveProperty('sender');
    expect(work).not.toHaveProperty('quote');
  });

  it('takes the fragment the user quoted, with who wrote the replied message', async () => {
    const work = await setup().post(
      inTopic({ reply_to_message: earlier(BOB), quote: { text: 'at 91%', position: 14, is_manual: true } }),
    );
    expect(work.quote).toEqual({ text: 'at 91%', from: { name: 'Bob', id: BOB.id }, fromBot: false });
  });

  it("takes the replied message's text or caption when nothing was quoted, in a private chat too", async () => {
    const { post } = setup();
    const work = await post(inTopic({ reply_to_message: earlier(BOB) }));
    expect(work.quote?.text).toBe('disk on db-1 at 91%, and climbing');
    const photo = { message_id: 5, date: 1, chat: PRIVATE, from: ALICE, photo: [], caption: 'the graph' };
    const privately = await post({ chat: PRIVATE, reply_to_message: photo });
    expect(privately.quote).toEqual({
      text: 'the graph',
      from: { name: 'Alice Smith', id: ALICE.id, username: 'alice' },
      fromBot: false,
    });
    expect(privately).not.toHaveProperty('sender');
  });

  it("marks a reply to the bot's own answer (and leaves out its name)", async () => {
    const work = await setup().post(
      inTopic({ reply_to_message: earlier(BOT, { text: 'I restarted the pod.' }) }),
    );
    expect(work.quote).toEqual({ text: 'I restarted the pod.', fromBot: true });
  });

  it('names a chat that wrote the replied message on its own behalf by its title', async () => {
    const channel = { id: -1001112223334, title: 'Status page', type: 'channel', username: 'status' };
    const bot = { id: 136817688, is_bot: true, first_name: 'Channel' };
    const work = await setup().post(inTopic({ reply_to_message: earlier(bot, { sender_chat: channel }) }));
    expect(work.quote?.from).toEqual({ name: 'Status page', id: channel.id, username: 'status' });
    expect(work.quote?.fromBot).toBe(false);
  });

  it('takes a reply to a message of another chat: the quoted fragment and its origin', async () => {
    const work = await setup().post(
      inTopic({
        external_reply: { origin: { type: 'user', date: 1, sender_user: BOB }, chat: GROUP, message_id: 3 },
        quote: { text: 'rollback done', position: 0 },
      }),
    );
    expect(work.quote).toEqual({ text: 'rollback done', from: { name: 'Bob', id: BOB.id }, fromBot: false });
  });

  it('cuts long names and quotes to the wire bounds with an ellipsis (the item still decodes)', async () => {
    const long = { ...BOB, first_name: 'B'.repeat(64), last_name: 'C'.repeat(64) };
    const work = await setup().post(
      inTopic({ from: long, reply_to_message: earlier(BOB, { text: '😀'.repeat(1500) }) }),
    );
    expect(work.sender?.name).toHaveLength(MAX_AUTHOR_NAME);
    expect(work.sender?.name.endsWith('C…')).toBe(true);
    const text = work.quote?.text ?? '';
    expect(text.length).toBeLessThanOrEqual(MAX_QUOTE_TEXT);
    expect(text).toBe(`${'😀'.repeat(999)}…`);
  });
});

describe('senderOf', () => {
  it('names a message sent on behalf of a chat (anonymous admins, a channel) by its title', () => {
    const message = {
      message_id: 1,
      date: 1,
      chat: GROUP,
      from: { id: 1087968824, is_bot: true, first_name: 'Group' },
      sender_chat: GROUP,
    } as unknown as Message;
    expect(senderOf(message)).toEqual({ name: 'Chatter', id: GROUP.id });
  });
});

describe('clip', () => {
  it('keeps text within the bound and never splits a surrogate pair', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('ab…');
    expect(clip('a😀b', 3)).toBe('a…');
  });
});
