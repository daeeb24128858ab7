import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/core/keys.js';
import { demoModel, replyQueue, textReply, userTexts, type RecordedRequest } from '../../src/model/index.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline, type QueueKind } from './pipeline.js';
import { FORUM, USER, generalText, privateText, topicText } from './updates.js';

/**
 * The Telegram pipeline end to end with the REAL agent runner: webhook (real Update JSON) → dedupe
 * → queue (in-process, or SQS FIFO on fauxqs) → worker → real SDK binary → offline model → reply
 * on the fake Bot API. The demo model says how many earlier user messages it was shown, so the
 * replies themselves prove what each turn saw. Each real turn costs ~0.5 s: the cases are few.
 */

/** Strip MarkdownV2 escapes: what the user reads. */
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');

/** "I was shown N earlier user messages" from a demo-model reply (0 for "no earlier"). */
function earlierCount(reply: string): number {
  const match = /I was shown (no|\d+) earlier user message/.exec(reply);
  if (!match) throw new Error(`not a demo-model chat reply: ${reply}`);
  return match[1] === 'no' ? 0 : Number(match[1]);
}

const lastHumanText = (request: RecordedRequest): string | undefined => userTexts(request).at(-1);

describe.each<QueueKind>(['memory', 'sqs'])('Telegram end to end, real agent, %s queue', (queue) => {
  let h: AgentHarness;
  let p: Pipeline;
  beforeEach(async () => {
    h = await startAgentHarness();
    // Ordering and exactly-once are what these cases check: a turn per message, and the final
    // answers as sent messages (live replies and merged turns: e2e-live.test.ts).
    p = await startPipeline({
      runner: h.runner,
      queue,
      policy: { busyMessages: 'one-by-one' },
      live: { enabled: false },
    });
    p.api.setChat(FORUM); // the fake Bot API knows the forum (createForumTopic checks `is_forum`)
  });
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  /** What the user reads in a chat (and topic), in order. */
  const read = (filter: { chatId?: number; threadId?: number } = {}): string[] =>
    p.api.sentTexts(filter).map(unescape);
  const conversation = (chat: number, thread?: number) =>
    h.storage.conversations.get(conversationKey({ tenant: 'default', chat, thread }));

  it('delivers the same update 3× as exactly one agent turn and one reply', async () => {
    const update = privateText('hello there');
    const responses = await Promise.all([1, 2, 3].map(() => p.post(update)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    await p.api.waitFor(() => p.api.sentTexts().length >= 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // room for a duplicate to show up
    expect(h.model.requests).toHaveLength(1);
    expect((await conversation(USER.id))?.turns).toBe(1);
    const replies = read({ chatId: USER.id });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^\[offline demo model\] I was shown no earlier user messages/);
    expect(replies[0]).toContain('You said: "hello there"');
    expect(p.api.callsTo('sendMessage')[0]?.params.reply_parameters).toMatchObject({
      message_id: update.message?.message_id,
    });
  });

  it('answers 5 messages of one chat in order, each turn seeing the previous ones', async () => {
    const texts = [1, 2, 3, 4, 5].map((i) => `message number ${i}`);
    for (const text of texts) expect((await p.post(privateText(text))).status).toBe(200);
    await p.api.waitFor(() => p.api.sentTexts({ chatId: USER.id }).length === 5, 45_000);
    const replies = read({ chatId: USER.id });
    expect(replies.map(earlierCount)).toEqual([0, 1, 2, 3, 4]);
    replies.forEach((reply, i) => expect(reply).toContain(`You said: "${texts[i]}"`));
    expect(replies[4]).toContain(`The most recent one was: "${texts[3]}"`);
    const last = h.model.requests.at(-1);
    expect(last && userTexts(last)).toEqual(texts);
    expect((await conversation(USER.id))?.turns).toBe(5);
  });

  it('does not let a slow conversation block another one', async () => {
    // The slow topic's model reply is held until the other chat has its answer (a fixed
    // `delayReply` raced the quick turn's own ~0.5–3 s under CPU load and flaked).
    let slowStartedAt = 0;
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    h.model.setHandler(async (request, ctx) => {
      if (lastHumanText(request) !== 'slow question') return demoModel(request);
      slowStartedAt = Date.now();
      ctx.signal.addEventListener('abort', () => releaseSlow());
      await slowGate;
      return demoModel(request);
    });
    try {
      await p.post(topicText(7, 'slow question'));
      await p.api.waitFor(() => slowStartedAt > 0, 30_000); // the slow turn is at the model…
      await p.post(privateText('quick question')); // …when the other chat asks
      await p.api.waitFor(() => p.api.sentTexts({ chatId: USER.id }).length === 1, 30_000);
      expect(p.api.sentTexts({ chatId: FORUM.id })).toEqual([]);
      // The slow topic shows "typing…" in its own thread meanwhile.
      expect(p.api.callsTo('sendChatAction').some((c) => c.params.message_thread_id === 7)).toBe(true);
    } finally {
      releaseSlow();
    }
    await p.api.waitFor(() => p.api.sentTexts({ chatId: FORUM.id, threadId: 7 }).length === 1, 30_000);
    expect(read({ chatId: USER.id })[0]).toContain('You said: "quick question"');
    expect(read({ chatId: FORUM.id, threadId: 7 })[0]).toContain('You said: "slow question"');
  });

  it('/newchat creates a topic and the conversation continues there', async () => {
    await p.post(generalText('/newchat Why is the deploy failing?'));
    expect(p.api.callsTo('createForumTopic')[0]?.params).toMatchObject({ chat_id: FORUM.id });
    const opening = p.api.callsTo('sendMessage').find((c) => c.params.message_thread_id !== undefined);
    const threadId = Number(opening?.params.message_thread_id);
    expect(threadId).toBeGreaterThan(0);
    await p.api.waitFor(() => p.api.sentTexts({ chatId: FORUM.id, threadId }).length === 2, 30_000);
    await p.post(topicText(threadId, 'and now?'));
    await p.api.waitFor(() => p.api.sentTexts({ chatId: FORUM.id, threadId }).length === 3, 30_000);

    const [openingText, first, second] = read({ chatId: FORUM.id, threadId });
    expect(openingText).toMatch(/asked:\nWhy is the deploy failing\?/);
    expect(earlierCount(first ?? '')).toBe(0);
    expect(first).toContain('You said: "Why is the deploy failing?"');
    expect(earlierCount(second ?? '')).toBe(1);
    expect(second).toContain('The most recent one was: "Why is the deploy failing?"');
    // The turns ran under the new topic's conversation key; the General topic has none.
    expect((await conversation(FORUM.id, threadId))?.turns).toBe(2);
    expect(await conversation(FORUM.id)).toBeNull();
    expect(read({ chatId: FORUM.id }).some((t) => t.includes(`/${threadId}`))).toBe(true); // the link
  });

  it('splits a long reply into ≤ 4096-character messages and loses nothing', async () => {
    const words = Array.from({ length: 1200 }, (_, i) => `word${i}`);
    const paragraphs = Array.from({ length: 12 }, (_, i) => words.slice(i * 100, (i + 1) * 100).join(' '));
    const python = ['```python', ...Array.from({ length: 80 }, (_, i) => `print(${i})  # py-${i}`), '```'];
    const bash = ['```bash', ...Array.from({ length: 60 }, (_, i) => `echo "step ${i}" >> log.txt`), '```'];
    const long = [
      ...paragraphs.slice(0, 4),
      python.join('\n'),
      ...paragraphs.slice(4, 8),
      bash.join('\n'),
      ...paragraphs.slice(8),
    ].join('\n\n');
    expect(long.length).toBeGreaterThan(9_000);
    h.model.setHandler(replyQueue([textReply(long)]));
    await p.post(privateText('write a lot'));
    await p.api.waitFor(() => read().join('').includes('word1199'), 30_000);

    const sent = p.api.callsTo('sendMessage');
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const call of sent) {
      const text = String(call.params.text);
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(call.params.parse_mode).toBe('MarkdownV2'); // no piece needed the plain-text fallback
      expect((text.match(/```/g) ?? []).length % 2).toBe(0); // no code block spans two messages
    }
    expect(sent[0]?.params.reply_parameters).toBeDefined();
    expect(sent.slice(1).every((c) => c.params.reply_parameters === undefined)).toBe(true);
    const all = unescape(sent.map((c) => String(c.params.text)).join('\n'));
    expect(all.match(/word\d+/g)).toEqual(words);
    expect(all.match(/print\(\d+\) {2}# py-\d+/g)).toEqual(python.slice(1, -1));
    expect(all.match(/echo "step \d+" >> log\.txt/g)).toEqual(bash.slice(1, -1));
  });

  it('falls back to plain text when the converted markdown is rejected', async () => {
    // Telegram refuses the MarkdownV2 of this reply ("can't parse entities"): the worker re-sends
    // the model's text without a parse mode.
    const reply = 'Run `cd C:\\` first, then **restart** the service.';
    p.api.rejectParse((params) =>
      params['parse_mode'] === 'MarkdownV2' ? 'Character "\\" is reserved (forced by the test)' : undefined,
    );
    h.model.setHandler(replyQueue([textReply(reply)]));
    await p.post(privateText('how do I restart it?'));
    await p.api.waitFor(() => p.api.sentTexts().length === 1, 30_000);
    const calls = p.api.calls.filter((c) => c.method === 'sendMessage');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ ok: false, params: { parse_mode: 'MarkdownV2' } });
    expect(calls[0]?.error).toMatch(/can't parse entities/);
    expect(calls[1]?.ok).toBe(true);
    expect(calls[1]?.params.parse_mode).toBeUndefined();
    expect(calls[1]?.params.text).toBe(reply);
  });

  it('/new starts a fresh session: the next turn sees no earlier messages', async () => {
    await p.post(privateText('remember the number 42'));
    await p.api.waitFor(() => p.api.sentTexts().length === 1, 30_000);
    const before = await conversation(USER.id);
    await p.post(privateText('/new'));
    await p.post(privateText('which number was it?'));
    await p.api.waitFor(() => p.api.sentTexts().length === 3, 30_000);
    const [, reset, after] = read({ chatId: USER.id });
    expect(reset).toMatch(/fresh conversation/);
    expect(earlierCount(after ?? '')).toBe(0);
    expect(after).toContain('You said: "which number was it?"');
    const last = h.model.requests.at(-1);
    expect(last && userTexts(last)).toEqual(['which number was it?']);
    const now = await conversation(USER.id);
    expect(now?.turns).toBe(1);
    expect(now?.sessionId).not.toBe(before?.sessionId);
  });
});
