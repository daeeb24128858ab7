import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/core/keys.js';
import { createFakeRunner, type FakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline, type QueueKind } from './pipeline.js';
import { FORUM, USER, editedPrivateText, privatePhoto, privateText, topicText } from './updates.js';

/** Strip MarkdownV2 escapes: what the user reads. */
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');

describe.each<QueueKind>(['memory', 'sqs'])('Telegram pipeline through the %s queue', (queue) => {
  let runner: FakeRunner;
  let p: Pipeline;
  beforeEach(async () => {
    runner = createFakeRunner();
    // A turn per message (merging busy messages: e2e-live.test.ts and the queue conformance).
    p = await startPipeline({ runner, queue, policy: { busyMessages: 'one-by-one' } });
  });
  afterEach(async () => {
    await p.close();
  });

  it('acknowledges fast and delivers the same update 3× as one turn and one reply', async () => {
    const update = privateText('hello there');
    for (let i = 0; i < 3; i++) expect((await p.post(update)).status).toBe(200);
    await p.api.waitFor(() => p.api.sentTexts().length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runner.turns).toHaveLength(1);
    expect(runner.turns[0]).toMatchObject({
      conversation: `default:${USER.id}:main`,
      text: 'hello there',
      userId: String(USER.id),
    });
    expect(runner.turns[0]?.messageTime).toBeInstanceOf(Date);
    expect(p.api.sentTexts().map(unescape)).toEqual(['reply #1 to: hello there']);
    const sent = p.api.callsTo('sendMessage')[0];
    expect(sent?.params.chat_id).toBe(USER.id);
    expect(sent?.params.reply_parameters).toMatchObject({ message_id: update.message?.message_id });
  });

  it('answers 5 messages of one chat in order, each turn seeing the previous ones', async () => {
    for (let i = 1; i <= 5; i++) expect((await p.post(privateText(`m${i}`))).status).toBe(200);
    await p.api.waitFor(() => p.api.sentTexts().length === 5, 20_000);
    expect(p.api.sentTexts().map(unescape)).toEqual([1, 2, 3, 4, 5].map((i) => `reply #${i} to: m${i}`));
    expect(runner.turns.map((t) => t.history.length)).toEqual([0, 1, 2, 3, 4]);
    expect(runner.turns[4]?.history).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('does not let a slow conversation block another one', async () => {
    const slowKey = conversationKey({ tenant: 'default', chat: FORUM.id, thread: 7 });
    runner.hold(slowKey);
    await p.post(topicText(7, 'slow question'));
    await p.post(privateText('quick question'));
    await p.api.waitFor(() => p.api.sentTexts({ chatId: USER.id }).length === 1, 20_000);
    expect(p.api.sentTexts({ chatId: FORUM.id })).toEqual([]);
    // The slow topic shows "typing…" in its own thread while it runs.
    await p.api.waitFor(() => p.api.callsTo('sendChatAction').some((c) => c.params.message_thread_id === 7));
    runner.release(slowKey);
    await p.api.waitFor(() => p.api.sentTexts({ chatId: FORUM.id, threadId: 7 }).length === 1, 20_000);
  });

  it('splits a long reply into ≤ 4096-character messages without losing anything', async () => {
    const words = Array.from({ length: 2500 }, (_, i) => `word${i}`);
    const paragraphs = Array.from({ length: 25 }, (_, i) => words.slice(i * 100, (i + 1) * 100).join(' '));
    const code = [
      '```python',
      ...Array.from({ length: 200 }, (_, i) => `print(${i})  # line ${i}`),
      '```',
    ].join('\n');
    const long = `${paragraphs.slice(0, 12).join('\n\n')}\n\n${code}\n\n${paragraphs.slice(12).join('\n\n')}`;
    runner.respond = () => ({ response: long });
    await p.post(privateText('write a lot'));
    await p.api.waitFor(() => p.api.sentTexts().join('').includes('word2499'), 20_000);
    const sent = p.api.callsTo('sendMessage');
    expect(sent.length).toBeGreaterThan(3);
    for (const call of sent) {
      expect(String(call.params.text).length).toBeLessThanOrEqual(4096);
      expect(call.params.parse_mode).toBe('MarkdownV2');
      // Every message has balanced code fences: a code block never spans two messages.
      expect((String(call.params.text).match(/```/g) ?? []).length % 2).toBe(0);
    }
    const text = unescape(sent.map((c) => String(c.params.text)).join('\n'));
    const outWords = text.match(/word\d+/g) ?? [];
    expect(outWords).toEqual(words);
    expect(text.match(/print\(\d+\)/g)).toEqual(Array.from({ length: 200 }, (_, i) => `print(${i})`));
  });

  it('falls back to plain text when Telegram cannot parse the formatting', async () => {
    runner.respond = () => ({ response: 'Result: **bold** and `x`' });
    p.api.rejectParse((params) =>
      params.parse_mode === 'MarkdownV2'
        ? "Can't find end of the entity starting at byte offset 8"
        : undefined,
    );
    await p.post(privateText('format please'));
    await p.api.waitFor(() => p.api.sentTexts().length === 1, 20_000);
    const calls = p.api.calls.filter((c) => c.method === 'sendMessage');
    expect(calls[0]).toMatchObject({ ok: false });
    expect(calls[0]?.error).toMatch(/can't parse entities/);
    expect(calls[1]?.params.parse_mode).toBeUndefined();
    expect(calls[1]?.params.text).toBe('Result: **bold** and `x`');
  });

  it('says files are not available where the worker has no file store, and ignores edits', async () => {
    expect((await p.post(privatePhoto())).status).toBe(200);
    expect((await p.post(editedPrivateText('changed my mind'))).status).toBe(200);
    await p.api.waitFor(() => p.api.sentTexts().length === 1);
    expect(p.api.sentTexts()[0]).toMatch(/^Files are not available in this deployment/);
    expect(runner.turns).toHaveLength(0);
    // With a caption, the caption is still answered.
    await p.post(privatePhoto(USER, 'the caption'));
    await p.api.waitFor(() => p.api.sentTexts().length === 3);
    expect(runner.turns.map((t) => t.text)).toEqual(['the caption']);
  });

  it('tells the user when the turn fails for good and when history is unavailable', async () => {
    runner.respond = (request) =>
      request.text === 'lost'
        ? { is_error: true, error_code: 'session_history_unavailable', error_message: 'gone', response: '' }
        : { response: 'fine' };
    await p.post(privateText('lost'));
    await p.api.waitFor(() => p.api.sentTexts().length === 1, 20_000);
    expect(p.api.sentTexts()[0]).toMatch(/\/new/);
  });
});
