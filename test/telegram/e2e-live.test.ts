import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWarmPool, type WarmPool } from '../../src/agent/warm/pool.js';
import { conversationKey } from '../../src/core/keys.js';
import { silentLogger } from '../../src/core/logger.js';
import { replyQueue, userTexts } from '../../src/model/index.js';
import { texts as workerTexts } from '../../src/telegram/worker/texts.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { FORUM, USER, press, privateText, topicText } from './updates.js';

/**
 * Live replies end to end with the REAL runner and binary (offline model, SQLite, in-process
 * queue, fake Bot API): the answer streams as drafts, a tool call shows in the status message
 * with a Stop button that interrupts the turn, and messages sent meanwhile are acknowledged and
 * answered together in one next turn.
 */
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');

describe('Telegram live replies end to end (real agent)', () => {
  let h: AgentHarness;
  let p: Pipeline;
  let pool: WarmPool;
  beforeEach(async () => {
    h = await startAgentHarness({
      ...PLAIN_PROFILE,
      tools: { allowedTools: ['Bash'], disallowedTools: [], permissionMode: 'default' },
    });
    pool = createWarmPool({ max: 4, idleMs: 60_000, logger: silentLogger });
    p = await startPipeline({
      runner: h.runnerWith({ warm: pool, stopPollMs: 200 }),
      stops: h.storage.leases,
      live: { editIntervalMs: 200, groupEditIntervalMs: 200 },
    });
    p.api.setChat(FORUM);
  });
  afterEach(async () => {
    await p?.close();
    pool?.close();
    h.model.setHandler(replyQueue([]));
    await h?.close();
  });

  it('streams the answer as drafts in a private chat, then sends it once as a message', async () => {
    await p.post(privateText('stream 40 words'));
    await p.api.waitFor(() => p.api.sentTexts({ chatId: USER.id }).length >= 1, 30_000);
    const drafts = p.api.callsTo('sendMessageDraft').map((c) => String(c.params.text));
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    // Each draft shows more of the same answer.
    for (let i = 1; i < drafts.length; i++)
      expect(drafts[i]!.length).toBeGreaterThanOrEqual(drafts[i - 1]!.length);
    expect(drafts[0]).toContain('word1');
    const finals = p.api.sentTexts({ chatId: USER.id }).map(unescape);
    expect(finals).toHaveLength(1);
    expect(finals[0]).toContain('word1 word2');
    expect(finals[0]).toContain('word40');
  });

  it('shows a tool call with a Stop button; the button interrupts the running tool and the next turn continues', async () => {
    const thread = 77;
    await p.post(topicText(thread, 'call tool Bash {"command":"sleep 30; echo never"}'));
    // The status message carries the Stop button of this turn.
    await p.api.waitFor(
      () => p.api.callsTo('sendMessage').some((c) => c.params.reply_markup !== undefined),
      30_000,
    );
    const status = p.api.callsTo('sendMessage').find((c) => c.params.reply_markup !== undefined)!;
    expect(String(status.params.text)).toContain('Bash');
    const markup = JSON.stringify(status.params.reply_markup);
    const data = /"callback_data":"(stop:\d+)"/.exec(markup)?.[1];
    expect(data).toBeDefined();
    const pressedAt = Date.now();
    await p.post(press(data!, { thread }));
    await p.api.waitFor(
      () =>
        p.api.sentTexts({ chatId: FORUM.id, threadId: thread }).some((t) => unescape(t).includes('Stopped')),
      15_000,
    );
    // Well before the 30 s the tool would have taken.
    expect(Date.now() - pressedAt).toBeLessThan(10_000);
    expect(p.api.callsTo('answerCallbackQuery').length).toBe(1);
    const stopped = p.api.sentTexts({ chatId: FORUM.id, threadId: thread }).map(unescape);
    expect(stopped.at(-1)).toContain(workerTexts.turnStopped);
    await p.post(topicText(thread, 'are you there?'));
    // The next message is answered (in a topic the final answer is the streamed message, edited
    // into its formatted text), and the model was shown the stopped call and the new message.
    const shown = (): string[] => p.api.messages(FORUM.id).map((m) => unescape(m.text));
    const before = shown().length;
    await p.api.waitFor(
      () => shown().length > before && shown().at(-1)!.startsWith('[offline demo model]'),
      30_000,
    );
    await p.service.idle();
    const asked = JSON.stringify(h.model.requests.at(-1)!.body.messages);
    expect(asked).toContain('stopped while running');
    // The new message is answered as such (the binary sends it inside the stopped call's result).
    expect(userTexts(h.model.requests.at(-1)!).slice(-2)).toEqual([
      'call tool Bash {"command":"sleep 30; echo never"}',
      'are you there?',
    ]);
    expect(shown().at(-1)).toContain('You said: "are you there?"');
    const record = await h.storage.conversations.get(
      conversationKey({ tenant: 'default', chat: FORUM.id, thread }),
    );
    expect(record?.turns).toBe(2);
  });

  it('acknowledges messages sent during a turn with 👀 and answers them together in one next turn', async () => {
    await p.post(privateText('stream 60 words'));
    await p.api.waitFor(() => p.api.callsTo('sendMessageDraft').length >= 1, 30_000);
    const waiting = [privateText('second thing'), privateText('third thing')];
    for (const update of waiting) await p.post(update);
    await p.api.waitFor(() => p.api.callsTo('setMessageReaction').length >= 2, 10_000);
    const reactions = p.api.callsTo('setMessageReaction');
    expect(reactions.map((c) => c.params.message_id)).toEqual(waiting.map((u) => u.message?.message_id));
    await p.api.waitFor(() => p.api.sentTexts({ chatId: USER.id }).length >= 2, 45_000);
    await p.service.idle();
    const finals = p.api.sentTexts({ chatId: USER.id }).map(unescape);
    expect(finals).toHaveLength(2);
    expect(finals[0]).toContain('word60');
    // One turn saw both waiting messages, in order, and its reply answers the newest.
    const last = userTexts(h.model.requests.at(-1)!).join('\n');
    expect(last).toMatch(/second thing[\s\S]*third thing/);
    const replyTo = p.api.callsTo('sendMessage').at(-1)?.params.reply_parameters as { message_id?: number };
    expect(replyTo?.message_id).toBe(waiting[1]?.message?.message_id);
    expect(
      (await h.storage.conversations.get(conversationKey({ tenant: 'default', chat: USER.id })))?.turns,
    ).toBe(2);
  });
});
