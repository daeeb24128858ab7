import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GateCall, GatePolicy } from '../../src/agent/approval-gate.js';
import type { AgentProfile } from '../../src/agent/profile.js';
import { telegramApprovalsOf } from '../../src/app/telegram-approvals.js';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import { conversationKey } from '../../src/core/keys.js';
import type { AgentRunner } from '../../src/agent/types.js';
import type { FakeTelegramApi, StoredMessage } from '../fakes/telegram-api.js';
import { PLAIN_PROFILE, startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { texts as workerTexts } from '../../src/telegram/worker/texts.js';
import { startPipeline, type Pipeline, type QueueKind } from './pipeline.js';
import { FORUM, USER, press, privateText, topicText } from './updates.js';

/**
 * Approvals end to end with the REAL runner and binary (offline model, SQLite storage, in-process
 * queue, fake Bot API): a Bash call the policy asks about ends the turn with one message and three
 * buttons; a tap is queued like a message and a worker turn continues the deferred call with the
 * decision; the message is edited to say who decided what.
 */

/** Test policy: every Bash call asks; a grant `Bash(<word> *)` covers commands starting with `<word> `. */
const command = (call: GateCall): string => String(call.input['command'] ?? '');
const policy: GatePolicy = {
  evaluate: (call) =>
    call.tool === 'Bash' ? { verdict: 'ask', rule: 'Bash' } : { verdict: 'allow', rule: 'default' },
  granted: (call, rules) =>
    call.tool === 'Bash' &&
    rules.some((rule) => {
      const m = /^Bash\((\S+) \*\)$/.exec(rule);
      return m !== null && command(call).startsWith(`${m[1]} `);
    }),
};
const PROFILE: AgentProfile = {
  ...PLAIN_PROFILE,
  tools: { allowedTools: ['Bash'], disallowedTools: [], permissionMode: 'default' },
  approvals: {
    policy,
    describe: (call) => ({ summary: command(call), grantRule: `Bash(${command(call).split(' ')[0]} *)` }),
    timeoutMs: 30 * 60_000,
  },
};

const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');
const key = conversationKey({ tenant: DEFAULT_TENANT, chat: USER.id });

describe('Telegram approvals end to end (real agent)', () => {
  let h: AgentHarness;
  let p: Pipeline;
  const start = (
    queue: QueueKind = 'memory',
    options: { runner?: AgentRunner; api?: FakeTelegramApi } = {},
  ) =>
    startPipeline({
      runner: options.runner ?? h.runner,
      queue,
      stops: h.storage.leases,
      approvals: telegramApprovalsOf(h.storage),
      live: { editIntervalMs: 200, groupEditIntervalMs: 200 },
      ...(options.api ? { api: options.api } : {}),
    });
  beforeEach(async () => {
    chat = USER.id;
    h = await startAgentHarness(PROFILE);
  });
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  /** The chat the test talks in (the user's private chat unless a test moves to the forum). */
  let chat: number = USER.id;
  const withButtons = (): StoredMessage[] =>
    p.api.messages(chat).filter((m) => JSON.stringify(m.replyMarkup ?? {}).includes('"ap:'));
  const message = (id: number): StoredMessage | undefined =>
    p.api.messages(chat).find((m) => m.messageId === id);
  const read = (): string[] => p.api.sentTexts({ chatId: USER.id }).map(unescape);

  /** Waits for the approval message and returns it with its buttons' data by label. */
  async function approvalMessage(
    count = 1,
  ): Promise<{ messageId: number; text: string; data: Record<string, string> }> {
    await p.api.waitFor(() => withButtons().length >= count, 30_000);
    const m = withButtons()[count - 1] as StoredMessage;
    const rows = (m.replyMarkup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> })
      .inline_keyboard;
    const data = Object.fromEntries(rows.flat().map((b) => [b.text, b.callback_data]));
    return { messageId: m.messageId, text: unescape(m.text), data };
  }

  /** A tap on a button of the approval message. */
  function tap(messageId: number, data: string, where: { thread?: number } = {}): Update {
    const update = press(data, where);
    (update.callback_query as { message: { message_id: number } }).message.message_id = messageId;
    return update;
  }

  it.each<QueueKind>(['memory', 'sqs'])(
    'asks with one message and three buttons; Allow once runs the command and edits the message (%s queue)',
    async (queue) => {
      p = await start(queue);
      const file = join(h.dir, 'allowed-once.txt');
      await p.post(privateText(`call tool Bash {"command":"echo ran-once > ${file} && echo output-once"}`));
      const asked = await approvalMessage();
      expect(Object.keys(asked.data)).toEqual(['✅ Allow once', '❌ Deny', '✅ Allow in this conversation']);
      expect(asked.text).toContain(`echo ran-once > ${file} && echo output-once`);
      expect(asked.text).toContain('Bash(echo *)');
      expect(existsSync(file)).toBe(false);
      // The request is the whole answer of the turn that asked (besides the live status line of the call).
      expect(withButtons()).toHaveLength(1);
      const answered = read().filter((t) => !t.startsWith('🔧'));
      expect(answered).toHaveLength(1);
      expect(answered[0]).toMatch(/^🔐 \*Approval needed\*/);
      expect(read()).not.toContain(workerTexts.emptyReply);

      await p.post(tap(asked.messageId, asked.data['✅ Allow once'] as string));
      await p.api.waitFor(() => read().some((t) => /Output:\noutput-once$/.test(t)), 30_000);
      expect(await readFile(file, 'utf8')).toBe('ran-once\n');
      await p.api.waitFor(
        () => (message(asked.messageId)?.text ?? '').includes('Allowed once by Ada'),
        10_000,
      );
      expect(message(asked.messageId)?.replyMarkup).toBeUndefined();
      expect(p.api.callsTo('answerCallbackQuery').map((c) => c.params.text)).toEqual(['Allowing once…']);
      const record = (await h.storage.approvals.list(key))[0];
      expect([record?.status, record?.resolvedBy]).toEqual(['allow_once', String(USER.id)]);
    },
  );

  it('Deny does not run the command, the agent says so, and the message says who denied', async () => {
    p = await start();
    const file = join(h.dir, 'denied.txt');
    await p.post(privateText(`call tool Bash {"command":"echo never > ${file}"}`));
    const asked = await approvalMessage();
    await p.post(tap(asked.messageId, asked.data['❌ Deny'] as string));
    await p.api.waitFor(() => (message(asked.messageId)?.text ?? '').includes('Denied by Ada'), 30_000);
    await p.api.waitFor(() => read().some((t) => /Bash tool failed/.test(t)), 30_000);
    expect(existsSync(file)).toBe(false);
  });

  it('Allow in this conversation lets a second matching call run without asking', async () => {
    p = await start();
    const first = join(h.dir, 'first.txt');
    const second = join(h.dir, 'second.txt');
    await p.post(privateText(`call tool Bash {"command":"echo one > ${first}"}`));
    const asked = await approvalMessage();
    await p.post(tap(asked.messageId, asked.data['✅ Allow in this conversation'] as string));
    await p.api.waitFor(
      () => (message(asked.messageId)?.text ?? '').includes('Allowed in this conversation by Ada'),
      30_000,
    );
    expect(unescape(message(asked.messageId)?.text ?? '')).toContain('`Bash(echo *)` until /new');
    await p.api.waitFor(() => existsSync(first), 30_000);
    const before = read().length;
    await p.post(privateText(`call tool Bash {"command":"echo two > ${second}"}`));
    await p.api.waitFor(() => read().length > before && existsSync(second), 30_000);
    expect(withButtons()).toHaveLength(0);
    expect(await readFile(second, 'utf8')).toBe('two\n');
  });

  it('a new message while a request is pending supersedes it: not run, message edited, the new message answered', async () => {
    p = await start();
    const file = join(h.dir, 'superseded.txt');
    await p.post(privateText(`call tool Bash {"command":"echo never > ${file}"}`));
    const asked = await approvalMessage();
    const before = read().length;
    await p.post(privateText('never mind, just say hello'));
    await p.api.waitFor(
      () => (message(asked.messageId)?.text ?? '').includes('a new message came instead'),
      30_000,
    );
    await p.api.waitFor(() => read().length > before, 30_000);
    expect(existsSync(file)).toBe(false);
    // A late tap on the superseded request changes nothing and says how it ended.
    await p.post(tap(asked.messageId, asked.data['✅ Allow once'] as string));
    expect(String(p.api.callsTo('answerCallbackQuery').at(-1)?.params.text)).toMatch(
      /new message came instead/,
    );
    expect(existsSync(file)).toBe(false);
  });

  it('/new cancels the pending request and edits its message', async () => {
    p = await start();
    await p.post(privateText(`call tool Bash {"command":"echo never > ${join(h.dir, 'new.txt')}"}`));
    const asked = await approvalMessage();
    await p.post(privateText('/new'));
    await p.api.waitFor(() => (message(asked.messageId)?.text ?? '').includes('Cancelled by /new'), 30_000);
    expect(message(asked.messageId)?.replyMarkup).toBeUndefined();
  });

  it('a double tap runs the call once and adds nothing to the chat', async () => {
    p = await start();
    const file = join(h.dir, 'twice.txt');
    await p.post(privateText(`call tool Bash {"command":"echo line >> ${file}"}`));
    const asked = await approvalMessage();
    const data = asked.data['✅ Allow once'] as string;
    await Promise.all([p.post(tap(asked.messageId, data)), p.post(tap(asked.messageId, data))]);
    await p.api.waitFor(() => read().some((t) => t.includes('Output:')), 30_000);
    await p.service.idle();
    expect(await readFile(file, 'utf8')).toBe('line\n');
    expect(read().filter((t) => t.includes('Output:'))).toHaveLength(1);
    expect(read()).not.toContain(workerTexts.approvalUnavailable);
    expect(p.api.callsTo('answerCallbackQuery')).toHaveLength(2);
  });

  it('a restart between ask and tap: another process (new runner, same store and bot) continues the call', async () => {
    const file = join(h.dir, 'restarted.txt');
    const first = await start();
    p = first;
    await first.post(privateText(`call tool Bash {"command":"echo after-restart > ${file}"}`));
    const asked = await approvalMessage();
    await first.service.stop();
    p = await start('memory', { runner: h.runnerWith({}), api: first.api });
    await p.post(tap(asked.messageId, asked.data['✅ Allow once'] as string));
    await p.api.waitFor(() => (message(asked.messageId)?.text ?? '').includes('Allowed once by Ada'), 30_000);
    await p.api.waitFor(() => existsSync(file), 30_000);
    expect(await readFile(file, 'utf8')).toBe('after-restart\n');
    await first.close();
  });

  it("/debug lists the conversation's requests and the rules granted in its session", async () => {
    p = await start();
    await p.post(privateText(`call tool Bash {"command":"echo granted > ${join(h.dir, 'debug.txt')}"}`));
    const asked = await approvalMessage();
    await p.post(tap(asked.messageId, asked.data['✅ Allow in this conversation'] as string));
    await p.api.waitFor(() => existsSync(join(h.dir, 'debug.txt')), 30_000);
    await p.service.idle();
    await p.post(privateText('/debug'));
    await p.api.waitFor(() => read().some((t) => t.startsWith('Approval requests')), 10_000);
    const shown = read().find((t) => t.startsWith('Approval requests')) as string;
    expect(shown).toContain(`Bash: echo granted > ${join(h.dir, 'debug.txt')}`);
    expect(shown).toContain(`allowed in this conversation by user ${USER.id}`);
    expect(shown).toContain('Allowed in this conversation until /new: Bash(echo *)');
  });

  it('in a forum topic: the request, the decision and the answer stay in the topic', async () => {
    p = await start();
    p.api.setChat(FORUM);
    chat = FORUM.id;
    const file = join(h.dir, 'topic.txt');
    await p.post(topicText(7, `call tool Bash {"command":"echo in-topic > ${file}"}`));
    const asked = await approvalMessage();
    const sent = p.api
      .callsTo('sendMessage')
      .find((c) => JSON.stringify(c.params.reply_markup ?? {}).includes('"ap:'));
    expect(sent?.params.message_thread_id).toBe(7);
    await p.post(tap(asked.messageId, asked.data['✅ Allow once'] as string, { thread: 7 }));
    await p.api.waitFor(() => (message(asked.messageId)?.text ?? '').includes('Allowed once by Ada'), 30_000);
    // In a group the streamed message becomes the answer (edited in place).
    await p.api.waitFor(() => p.api.messages(FORUM.id).some((m) => m.text.includes('Output:')), 30_000);
    expect(await readFile(file, 'utf8')).toBe('in-topic\n');
    // The same button pressed from another topic changes nothing.
    await p.post(tap(asked.messageId, asked.data['❌ Deny'] as string, { thread: 8 }));
    expect(String(p.api.callsTo('answerCallbackQuery').at(-1)?.params.text)).toMatch(/does not belong/);
  });
});

describe('Telegram approvals end to end: expiry (real agent)', () => {
  let h: AgentHarness;
  let p: Pipeline;
  beforeEach(async () => {
    h = await startAgentHarness({
      ...PROFILE,
      approvals: { ...(PROFILE.approvals as NonNullable<AgentProfile['approvals']>), timeoutMs: 1500 },
    });
    p = await startPipeline({
      runner: h.runner,
      stops: h.storage.leases,
      approvals: telegramApprovalsOf(h.storage),
    });
  });
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  it('a tap after the deadline runs nothing; the next message is answered and the agent is told', async () => {
    const file = join(h.dir, 'late.txt');
    await p.post(privateText(`call tool Bash {"command":"echo late > ${file}"}`));
    const buttons = () =>
      p.api.messages(USER.id).filter((m) => JSON.stringify(m.replyMarkup ?? {}).includes('"ap:'));
    await p.api.waitFor(() => buttons().length === 1, 30_000);
    const asked = buttons()[0] as StoredMessage;
    const data = JSON.stringify(asked.replyMarkup).match(/ap:[A-Za-z0-9_-]{22}:o/)?.[0] as string;
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const late = press(data);
    (late.callback_query as { message: { message_id: number } }).message.message_id = asked.messageId;
    await p.post(late);
    expect(p.api.callsTo('answerCallbackQuery').at(-1)?.params).toMatchObject({ show_alert: true });
    expect(String(p.api.callsTo('answerCallbackQuery').at(-1)?.params.text)).toMatch(/expired/);
    const shown = () =>
      unescape(p.api.messages(USER.id).find((m) => m.messageId === asked.messageId)?.text ?? '');
    expect(shown()).toContain('Expired');
    const before = p.api.sentTexts({ chatId: USER.id }).length;
    await p.post(privateText('so what now?'));
    await p.api.waitFor(() => p.api.sentTexts({ chatId: USER.id }).length > before, 30_000);
    await p.service.idle();
    expect(existsSync(file)).toBe(false);
    const record = (await h.storage.approvals.list(key))[0];
    expect(record?.status).toBe('expired');
    const told = h.model.requests.flatMap((r) => JSON.stringify(r.body)).join('\n');
    expect(told).toMatch(/expired/);
  });
});
