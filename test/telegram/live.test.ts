import { afterEach, describe, expect, it } from 'vitest';
import type { TurnEvent } from '../../src/agent/types.js';
import type { LiveOptions } from '../../src/telegram/worker/live/index.js';
import { texts } from '../../src/telegram/worker/texts.js';
import { createFakeRunner, type FakeRunner, type ScriptStep } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { FORUM, USER, privateText, topicText } from './updates.js';

/** Strip MarkdownV2 escapes: what the user reads. */
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');
const FAST: LiveOptions = { editIntervalMs: 200, groupEditIntervalMs: 300, stallNoticeMs: 60_000 };

let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

async function start(live: LiveOptions = FAST): Promise<{ runner: FakeRunner; pipe: Pipeline }> {
  const runner = createFakeRunner();
  runner.deliverUnderLease = true;
  p = await startPipeline({ runner, live });
  return { runner, pipe: p };
}

const deltas = (parts: string[], afterMs = 0): ScriptStep[] =>
  parts.map((delta) => ({ afterMs, event: { type: 'text', delta } }));
const started = (turn = 7): ScriptStep => ({ event: { type: 'turn_started', turn } });
const step = (event: TurnEvent, afterMs = 0): ScriptStep => ({ event, afterMs });

/** Wait until the turn's handling is over (final sent, status tidied). */
async function settled(pipe: Pipeline): Promise<void> {
  await pipe.service.idle();
}

describe('live replies in a private chat', () => {
  it('streams drafts (first one at once) and ends with exactly one final message', async () => {
    // A long interval: the first text must not wait for it.
    const { runner, pipe } = await start({ ...FAST, editIntervalMs: 5000 });
    runner.script = () => [started(), ...deltas(['Hello', ' brave', ' new', ' world'], 150)];
    runner.respond = () => ({ response: 'Hello brave new world' });
    await pipe.post(privateText('hi'));
    await pipe.api.waitFor(() => pipe.api.callsTo('sendMessageDraft').length >= 1);
    const firstDraft = pipe.api.callsTo('sendMessageDraft')[0];
    const firstDelta = runner.turns[0]?.events.find((e) => e.event.type === 'text');
    // Target ≤ 300 ms; bounded generously here (a loaded 2-core machine), far below the interval.
    expect((firstDraft?.at ?? Infinity) - (firstDelta?.at ?? 0)).toBeLessThan(1000);
    expect(firstDraft?.params).toMatchObject({ chat_id: USER.id, text: 'Hello' });
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    await settled(pipe);
    const drafts = pipe.api.callsTo('sendMessageDraft');
    expect(new Set(drafts.map((c) => c.params.draft_id)).size).toBe(1);
    expect(Number(drafts[0]?.params.draft_id)).not.toBe(0);
    for (const d of drafts) expect(d.params.parse_mode).toBeUndefined();
    expect(pipe.api.sentTexts().map(unescape)).toEqual(['Hello brave new world']);
    expect(pipe.api.callsTo('sendMessage')[0]?.params.parse_mode).toBe('MarkdownV2');
    expect(pipe.api.callsTo('editMessageText')).toEqual([]);
  });

  it('keeps drafts within the interval under a fast stream of 200 deltas', async () => {
    const { runner, pipe } = await start({ ...FAST, editIntervalMs: 250 });
    const parts = Array.from({ length: 200 }, (_, i) => `w${i} `);
    runner.script = () => [started(), ...deltas(parts, 5)];
    runner.respond = () => ({ response: parts.join('') });
    await pipe.post(privateText('stream fast'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1, 20_000);
    await settled(pipe);
    const drafts = pipe.api.callsTo('sendMessageDraft');
    expect(drafts.length).toBeGreaterThan(1);
    expect(drafts.length).toBeLessThan(40);
    // 4 a second at 250 ms; one more for arrival jitter on a loaded machine.
    expect(
      pipe.api.maxUpdatesPerWindow(USER.id, ['sendMessageDraft', 'editMessageText']),
    ).toBeLessThanOrEqual(5);
    expect(unescape(pipe.api.sentTexts()[0] ?? '')).toBe(parts.join('').trim());
  });

  it('ends a stopped turn with the partial answer and the stop note, or the note alone', async () => {
    const { runner, pipe } = await start();
    runner.script = () => [started(), ...deltas(['Checking the']), step({ type: 'text', delta: ' buckets' })];
    runner.respond = (request) =>
      request.text === 'stop me'
        ? {
            is_error: true,
            error_code: 'turn_stopped',
            error_message: 'stopped',
            response: 'Checking the buckets',
          }
        : { is_error: true, error_code: 'turn_stopped', error_message: 'stopped', response: '' };
    await pipe.post(privateText('stop me'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    expect(unescape(pipe.api.sentTexts()[0] ?? '')).toBe(`Checking the buckets\n\n${texts.turnStopped}`);
    await pipe.post(privateText('stop before text'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 2);
    expect(pipe.api.sentTexts()[1]).toBe(texts.turnStopped);
  });
  it('stops drafting after a refusal and skips (never sleeps on) a 429, the final still once', async () => {
    const { runner, pipe } = await start({ ...FAST, editIntervalMs: 100 });
    const letters = 'abcdefghijkl'.split('');
    runner.script = () => [started(), ...deltas(letters, 150)];
    runner.respond = () => ({ response: 'abcdefghijkl' });
    pipe.api.failNext('sendMessageDraft', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
    await pipe.post(privateText('limited'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 1);
    await settled(pipe);
    const drafts = pipe.api.calls.filter((c) => c.method === 'sendMessageDraft');
    expect(drafts[0]?.ok).toBe(false);
    // Not retried by auto-retry: the next draft waited out retry_after and showed the newest text.
    expect((drafts[1]?.at ?? 0) - (drafts[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect(drafts.filter((c) => c.params.text === 'a')).toHaveLength(1);
    expect(pipe.api.sentTexts()).toEqual(['abcdefghijkl']);

    pipe.api.failNext('sendMessageDraft', {
      error_code: 400,
      description: 'Bad Request: TEXTDRAFT_PEER_INVALID',
    });
    await pipe.post(privateText('refused'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 2);
    await settled(pipe);
    expect(pipe.api.calls.filter((c) => c.method === 'sendMessageDraft')).toHaveLength(drafts.length + 1);
    expect(pipe.api.sentTexts()[1]).toBe('abcdefghijkl');
  });
});

describe('live replies in a group topic', () => {
  it('sends one message, edits it as text grows, and turns it into the formatted final', async () => {
    const { runner, pipe } = await start();
    runner.script = () => [started(), ...deltas(['Total: ', '3.5 GB', ' in **3** buckets'], 400)];
    runner.respond = () => ({ response: 'Total: 3.5 GB in **3** buckets' });
    await pipe.post(topicText(7, 'how much?'));
    await pipe.api.waitFor(() => pipe.api.callsTo('sendMessage').length >= 1);
    const streamed = pipe.api.callsTo('sendMessage')[0];
    expect(streamed?.params).toMatchObject({ text: 'Total: ', message_thread_id: 7 });
    expect(streamed?.params.parse_mode).toBeUndefined();
    await pipe.api.waitFor(() => pipe.api.callsTo('editMessageText').some((c) => c.params.parse_mode));
    await settled(pipe);
    expect(pipe.api.callsTo('sendMessage')).toHaveLength(1);
    const shown = pipe.api.messages(FORUM.id);
    expect(shown).toHaveLength(1);
    expect(unescape(shown[0]?.text ?? '')).toBe('Total: 3.5 GB in *3* buckets');
    expect(pipe.api.callsTo('editMessageText').at(-1)?.params.parse_mode).toBe('MarkdownV2');
  });

  it('puts the Stop button on the streamed message of a turn without tool calls, and takes it off the final', async () => {
    const { runner, pipe } = await start();
    runner.script = () => [started(12), ...deltas(['Thinking ', 'about ', 'it'], 400)];
    runner.respond = () => ({ response: 'Thinking about it' });
    await pipe.post(topicText(7, 'think'));
    await pipe.api.waitFor(() => pipe.api.callsTo('sendMessage').length >= 1);
    expect(pipe.api.callsTo('sendMessage')[0]?.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: '⏹ Stop', callback_data: 'stop:12' }]],
    });
    await settled(pipe);
    const shown = pipe.api.messages(FORUM.id);
    expect(shown).toHaveLength(1); // no status message: the answer carried the button
    expect(JSON.stringify(shown[0]?.replyMarkup ?? { inline_keyboard: [] })).toBe('{"inline_keyboard":[]}');
  });

  it('keeps edits within the group interval under a fast stream of 200 deltas', async () => {
    const { runner, pipe } = await start({ ...FAST, groupEditIntervalMs: 400 });
    const parts = Array.from({ length: 200 }, (_, i) => `w${i} `);
    runner.script = () => [started(), ...deltas(parts, 5)];
    runner.respond = () => ({ response: parts.join('') });
    await pipe.post(topicText(7, 'stream fast'));
    await pipe.api.waitFor(() => pipe.api.messages(FORUM.id)[0]?.text.startsWith('w0 w1') === true, 20_000);
    await settled(pipe);
    const live = pipe.api.calls.filter(
      (c) =>
        c.ok && ['sendMessage', 'editMessageText'].includes(c.method) && c.params.parse_mode === undefined,
    );
    expect(live.length).toBeLessThan(20);
    const times = live.map((c) => c.at);
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThan(300);
    expect(unescape(pipe.api.messages(FORUM.id)[0]?.text ?? '')).toBe(parts.join('').trim());
  });

  it('shows tool calls with a Stop button, then tidies the status into a summary', async () => {
    const { runner, pipe } = await start();
    runner.script = () => [
      started(42),
      step({
        type: 'tool_start',
        id: 'a',
        name: 'Bash',
        summary: 'aws ec2 describe-instances',
        parentId: null,
      }),
      step(
        {
          type: 'tool_start',
          id: 's',
          name: 'Task',
          summary: 'audit buckets',
          parentId: null,
          subagent: 'auditor',
        },
        350,
      ),
      step({ type: 'tool_start', id: 'c', name: 'Grep', summary: 'public-read', parentId: 's' }, 350),
      step({ type: 'tool_end', id: 'a', isError: false }, 350),
      step({ type: 'tool_end', id: 'c', isError: true }, 350),
      step({ type: 'tool_end', id: 's', isError: false }, 350),
      ...deltas(['All good.'], 350),
    ];
    runner.respond = () => ({ response: 'All good.' });
    await pipe.post(topicText(7, 'audit'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().some((t) => t.startsWith('🔧 Bash')));
    const status = pipe.api.callsTo('sendMessage').find((c) => String(c.params.text).startsWith('🔧 Bash'));
    expect(status?.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: '⏹ Stop', callback_data: 'stop:42' }]],
    });
    expect(status?.params.entities).toEqual([{ type: 'code', offset: 8, length: 26 }]);
    await pipe.api.waitFor(() =>
      pipe.api.callsTo('editMessageText').some((c) => String(c.params.text).includes('↳ 🔧 Grep')),
    );
    const nested = pipe.api.callsTo('editMessageText').find((c) => String(c.params.text).includes('↳'));
    expect(String(nested?.params.text)).toContain('🤖 auditor');
    await pipe.api.waitFor(
      () => pipe.api.sentTexts().length >= 1 && pipe.api.messages(FORUM.id).length === 2,
    );
    await settled(pipe);
    const [first, second] = pipe.api.messages(FORUM.id);
    expect(first?.text).toMatch(/^⚠️ 3 tool calls \(1 failed\) in \d+ s: Bash, 🤖 auditor, Grep$/);
    expect(first?.replyMarkup).toBeUndefined();
    expect(unescape(second?.text ?? '')).toBe('All good.');
  });

  it('says once in the status message when nothing happened for a while', async () => {
    const { runner, pipe } = await start({ ...FAST, stallNoticeMs: 400 });
    runner.script = () => [
      started(9),
      step({ type: 'tool_start', id: 'a', name: 'Bash', summary: 'sleep 5', parentId: null }),
      step({ type: 'tool_end', id: 'a', isError: false }, 1500),
    ];
    runner.respond = () => ({ response: 'slept' });
    await pipe.post(topicText(7, 'wait'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().map(unescape).includes('slept'), 10_000);
    await settled(pipe);
    const notices = pipe.api
      .callsTo('editMessageText')
      .filter((c) => String(c.params.text).includes('⏳ no progress for 1 s — tap Stop to cancel'));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.params.reply_markup).toEqual({
      inline_keyboard: [[{ text: '⏹ Stop', callback_data: 'stop:9' }]],
    });
    expect(pipe.api.messages(FORUM.id)[0]?.text).toMatch(/^✅ 1 tool call in \d s: Bash$/);
  });

  it('splits a long final answer over the streamed message and new ones, losing nothing', async () => {
    const { runner, pipe } = await start();
    const words = Array.from({ length: 1500 }, (_, i) => `word${i}`);
    const long = Array.from({ length: 15 }, (_, i) => words.slice(i * 100, (i + 1) * 100).join(' ')).join(
      '\n\n',
    );
    runner.script = () => [started(), ...deltas([long.slice(0, 5000), long.slice(5000)], 100)];
    runner.respond = () => ({ response: long });
    await pipe.post(topicText(7, 'write a lot'));
    await pipe.api.waitFor(
      () => pipe.api.messages(FORUM.id).some((m) => m.text.includes('word1499')),
      20_000,
    );
    await settled(pipe);
    const messages = pipe.api.messages(FORUM.id);
    expect(messages.length).toBeGreaterThan(2);
    for (const m of messages) expect(m.text.length).toBeLessThanOrEqual(4096);
    expect(unescape(messages.map((m) => m.text).join('\n')).match(/word\d+/g)).toEqual(words);
    // The streamed message showed the tail of the text, clipped with an ellipsis, never failing.
    expect(pipe.api.calls.filter((c) => c.method === 'editMessageText' && !c.ok)).toEqual([]);
  });

  it('sends the final as a new message when the user deleted the streamed one', async () => {
    const { runner, pipe } = await start();
    runner.script = () => [started(), ...deltas(['partial'], 0), ...deltas([' more'], 700)];
    runner.respond = () => ({ response: 'partial more' });
    await pipe.post(topicText(7, 'go'));
    await pipe.api.waitFor(() => pipe.api.messages(FORUM.id).length === 1);
    const streamed = pipe.api.messages(FORUM.id)[0];
    pipe.api.deleteByUser(FORUM.id, streamed?.messageId ?? 0);
    await pipe.api.waitFor(() => pipe.api.sentTexts().length === 2);
    await settled(pipe);
    const visible = pipe.api.messages(FORUM.id).filter((m) => !m.deleted);
    expect(visible.map((m) => unescape(m.text))).toEqual(['partial more']);
    expect(pipe.api.callsTo('sendMessage')).toHaveLength(2);
  });

  it('survives 429s on edits under flood limits: the final arrives exactly once', async () => {
    const { runner, pipe } = await start({ ...FAST, groupEditIntervalMs: 150 });
    pipe.api.setRateLimit({ perSecond: 2, groupPerMinute: 20 });
    const parts = Array.from({ length: 40 }, (_, i) => `w${i} `);
    runner.script = () => [
      started(3),
      step({ type: 'tool_start', id: 'a', name: 'Bash', summary: 'ls', parentId: null }),
      ...deltas(parts, 40),
      step({ type: 'tool_end', id: 'a', isError: false }),
    ];
    runner.respond = () => ({ response: parts.join('') });
    await pipe.post(topicText(7, 'flood'));
    await pipe.api.waitFor(() => pipe.api.messages(FORUM.id).some((m) => m.text.startsWith('✅')), 30_000);
    await settled(pipe);
    expect(pipe.api.rateLimited().length).toBeGreaterThan(0);
    const finals = pipe.api
      .messages(FORUM.id)
      .filter((m) => !m.deleted && unescape(m.text) === parts.join('').trim());
    expect(finals).toHaveLength(1);
    expect(pipe.api.messages(FORUM.id).filter((m) => !m.deleted)).toHaveLength(2);
  }, 40_000);
});
