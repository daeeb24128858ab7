import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { newApprovalId } from '../../src/approvals/ids.js';
import type { ApprovalRecord } from '../../src/approvals/types.js';
import { telegramApprovalsOf } from '../../src/app/telegram-approvals.js';
import { DEFAULT_TENANT, parseSessionId } from '../../src/core/ids.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import type { QueuedMessage } from '../../src/queue/types.js';
import { createMemoryStorage } from '../../src/sessions/adapters/memory/index.js';
import type { Storage } from '../../src/sessions/types.js';
import type { AccessPolicy } from '../../src/telegram/config.js';
import { texts } from '../../src/telegram/ingress/texts.js';
import { createFakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { FORUM, STRANGER, USER, press, privateText, topicText } from './updates.js';

/**
 * Approval buttons at the ingress (webhook → dedupe → rules → store lookup → queue) against the
 * fake Bot API and the real memory approval store: exactly one work item for a valid tap, nothing
 * for anything else, and every press answered. The queue only records what it is given.
 */

let p: Pipeline | undefined;
let storage: Storage;
let queued: QueuedMessage[];
afterEach(async () => {
  await p?.close();
  p = undefined;
  await storage?.close();
});

const privateKey = conversationKey({ tenant: DEFAULT_TENANT, chat: USER.id });
const topicKey = (thread: number): ConversationKey =>
  conversationKey({ tenant: DEFAULT_TENANT, chat: FORUM.id, thread });
/** `press()` puts every button on message 900. */
const BUTTON_MESSAGE = 900;

async function start(options: { policy?: AccessPolicy; approvals?: boolean } = {}): Promise<Pipeline> {
  storage = createMemoryStorage();
  queued = [];
  p = await startPipeline({
    runner: createFakeRunner(),
    stops: storage.leases,
    ...(options.approvals === false ? {} : { approvals: telegramApprovalsOf(storage) }),
    ...(options.policy ? { policy: options.policy } : {}),
    queueFactory: () => ({
      queue: { enqueue: async (m) => void queued.push(m) },
      consumer: { stop: async () => undefined },
    }),
  });
  p.api.setChat(FORUM);
  return p;
}

async function request(
  key: ConversationKey,
  overrides: Partial<ApprovalRecord> = {},
): Promise<ApprovalRecord> {
  const now = Date.now();
  const record: ApprovalRecord = {
    id: newApprovalId(),
    key,
    sessionId: parseSessionId(randomUUID()),
    toolUseId: 'toolu_01',
    tool: 'Bash',
    input: JSON.stringify({ command: 'echo hi' }),
    summary: 'echo hi',
    grantRule: 'Bash(echo *)',
    requestedBy: String(USER.id),
    createdAt: now,
    expiresAt: now + 30 * 60_000,
    status: 'pending',
    notice: { chatId: Number(key.chat), messageId: BUTTON_MESSAGE },
    ...overrides,
  };
  await storage.approvals.create(record);
  return record;
}

/** The request's message as the bot sent it (so edits find it); taps then press a button on it. */
async function shownRequest(pipe: Pipeline, key: ConversationKey, thread?: number): Promise<ApprovalRecord> {
  const sent = await pipe.service.bot.api.sendMessage(Number(key.chat), 'approval needed', {
    ...(thread !== undefined ? { message_thread_id: thread } : {}),
  });
  return request(key, { notice: { chatId: Number(key.chat), messageId: sent.message_id } });
}

function pressOn(record: ApprovalRecord, code: string, where: { thread?: number } = {}) {
  const update = press(`ap:${record.id}:${code}`, where);
  (update.callback_query as { message: { message_id: number } }).message.message_id =
    record.notice?.messageId ?? 0;
  return update;
}

const answers = (pipe: Pipeline) =>
  pipe.api
    .callsTo('answerCallbackQuery')
    .map((c) => ({ text: c.params.text, alert: c.params.show_alert === true }));

describe('approval buttons at the ingress', () => {
  it('queues one decision for a valid tap, answered at once, replying under the request', async () => {
    const pipe = await start();
    const r = await request(privateKey);
    expect((await pipe.post(press(`ap:${r.id}:o`))).status).toBe(200);
    expect(answers(pipe)).toEqual([{ text: texts.approvalAllowingOnce, alert: false }]);
    expect(queued).toEqual([
      {
        kind: 'approval',
        key: privateKey,
        source: {
          type: 'telegram',
          updateId: expect.any(Number) as number,
          userId: USER.id,
          replyTo: { chatId: USER.id, replyToMessageId: BUTTON_MESSAGE },
        },
        approvalId: r.id,
        decision: 'allow_once',
        byName: 'Ada',
      },
    ]);
    // Nothing is decided at the ingress: the worker's turn resolves it.
    expect((await storage.approvals.get(DEFAULT_TENANT, r.id))?.status).toBe('pending');
  });

  it('queues the other two choices with their own answers, in a forum topic with its thread', async () => {
    const pipe = await start();
    const r = await request(topicKey(7), { notice: { chatId: FORUM.id, messageId: BUTTON_MESSAGE } });
    await pipe.post(press(`ap:${r.id}:c`, { thread: 7 }));
    await pipe.post(press(`ap:${r.id}:d`, { thread: 7 }));
    expect(answers(pipe).map((a) => a.text)).toEqual([
      texts.approvalAllowingConversation,
      texts.approvalDenying,
    ]);
    expect(
      queued.map((m) => (m.kind === 'approval' ? [m.decision, m.source.replyTo.threadId] : m.kind)),
    ).toEqual([
      ['allow_conversation', 7],
      ['deny', 7],
    ]);
  });

  it('drops a replayed update (same update id) without a second item or answer', async () => {
    const pipe = await start();
    const r = await request(privateKey);
    const update = press(`ap:${r.id}:o`);
    await pipe.post(update);
    await pipe.post(update);
    expect(queued).toHaveLength(1);
    expect(answers(pipe)).toHaveLength(1);
  });

  it('refuses forged or malformed data without reading anything', async () => {
    const pipe = await start();
    const r = await request(privateKey);
    for (const data of [
      `ap:${r.id}:x`,
      `ap:${r.id.slice(1)}:o`,
      `ap:${r.id}:o:extra`,
      'ap:',
      `ap:${r.id.slice(0, 21)}/:o`,
    ]) {
      await pipe.post(press(data));
    }
    expect(queued).toEqual([]);
    expect(answers(pipe).map((a) => a.text)).toEqual(Array(5).fill(texts.buttonUnknown));
  });

  it('refuses a tap in another chat or topic than the request (the data never names the conversation)', async () => {
    const pipe = await start();
    const inPrivate = await request(privateKey);
    const inTopic = await request(topicKey(7), { notice: { chatId: FORUM.id, messageId: BUTTON_MESSAGE } });
    await pipe.post(press(`ap:${inPrivate.id}:o`, { thread: 7 }));
    await pipe.post(press(`ap:${inTopic.id}:o`, { thread: 8 }));
    await pipe.post(press(`ap:${inTopic.id}:o`));
    expect(queued).toEqual([]);
    expect(answers(pipe)).toEqual(Array(3).fill({ text: texts.approvalForeign, alert: true }));
  });

  it('refuses a tap on another message of the right conversation than the one showing the request', async () => {
    const pipe = await start();
    const r = await request(privateKey, { notice: { chatId: USER.id, messageId: 901 } });
    await pipe.post(press(`ap:${r.id}:o`));
    expect(queued).toEqual([]);
    expect(answers(pipe)).toEqual([{ text: texts.approvalForeign, alert: true }]);
  });

  it('refuses a user who may not talk to the bot there', async () => {
    const pipe = await start({ policy: { allowedUserIds: [USER.id] } });
    const r = await request(topicKey(7), { notice: { chatId: FORUM.id, messageId: BUTTON_MESSAGE } });
    await pipe.post(press(`ap:${r.id}:o`, { thread: 7 }, STRANGER));
    expect(queued).toEqual([]);
    expect(answers(pipe)).toEqual([{ text: texts.approvalNotAllowed, alert: true }]);
  });

  it('lets an approver who is not on the allowlist decide, and only decide', async () => {
    const pipe = await start({ policy: { allowedUserIds: [USER.id], approverIds: [STRANGER.id] } });
    const r = await request(topicKey(7), { notice: { chatId: FORUM.id, messageId: BUTTON_MESSAGE } });
    await pipe.post(topicText(7, 'let me in', STRANGER));
    await pipe.post(press(`stop:1`, { thread: 7 }, STRANGER));
    expect(queued).toEqual([]);
    await pipe.post(press(`ap:${r.id}:d`, { thread: 7 }, STRANGER));
    expect(queued.map((m) => m.kind === 'approval' && [m.decision, m.source.userId, m.byName])).toEqual([
      ['deny', STRANGER.id, 'Eve'],
    ]);
    expect(answers(pipe).map((a) => a.text)).toEqual([texts.buttonNotAllowed, texts.approvalDenying]);
  });

  it('says an expired request expired, removes its buttons, and queues nothing', async () => {
    const pipe = await start();
    const sent = await pipe.service.bot.api.sendMessage(USER.id, 'approval needed');
    const r = await request(privateKey, {
      createdAt: Date.now() - 60_000,
      expiresAt: Date.now() - 1,
      notice: { chatId: USER.id, messageId: sent.message_id },
    });
    await pipe.post(pressOn(r, 'o'));
    expect(queued).toEqual([]);
    expect(answers(pipe)).toEqual([{ text: texts.approvalExpired, alert: true }]);
    const edit = pipe.api.callsTo('editMessageText')[0]?.params;
    expect(edit?.message_id).toBe(sent.message_id);
    expect(String(edit?.text)).toContain('Expired');
    expect(edit?.reply_markup).toEqual({ inline_keyboard: [] });
    expect((await storage.approvals.get(DEFAULT_TENANT, r.id))?.status).toBe('expired');
    await pipe.post(pressOn(r, 'd'));
    expect(answers(pipe).at(-1)).toEqual({ text: texts.approvalExpired, alert: true });
  });

  it('says who decided an already decided request, and queues nothing', async () => {
    const pipe = await start();
    const r = await request(privateKey);
    await storage.approvals.resolve(DEFAULT_TENANT, r.id, {
      status: 'allow_once',
      at: Date.now(),
      by: String(USER.id),
    });
    const other = await request(privateKey);
    await storage.approvals.resolve(DEFAULT_TENANT, other.id, { status: 'deny', at: Date.now(), by: '42' });
    await pipe.post(press(`ap:${r.id}:d`));
    await pipe.post(press(`ap:${other.id}:o`));
    expect(queued).toEqual([]);
    expect(answers(pipe)).toEqual([
      { text: texts.approvalAlready('allowed once by you'), alert: true },
      { text: texts.approvalAlready('denied by user 42'), alert: true },
    ]);
  });

  it('refuses an unknown id, and says approvals are unavailable when the ingress has no store', async () => {
    const pipe = await start();
    await pipe.post(press(`ap:${newApprovalId()}:o`));
    expect(answers(pipe)).toEqual([{ text: texts.approvalUnknown, alert: true }]);
    await pipe.close();
    const bare = await start({ approvals: false });
    await bare.post(press(`ap:${newApprovalId()}:o`));
    expect(answers(bare)).toEqual([{ text: texts.approvalsUnavailable, alert: true }]);
    expect(queued).toEqual([]);
  });
});

describe('/stop with a pending approval request', () => {
  it('cancels it once, edits its message and says so; then there is nothing to stop', async () => {
    const pipe = await start();
    const r = await shownRequest(pipe, privateKey);
    await storage.conversations.touch(privateKey, r.sessionId, { pendingApproval: r.id });
    await pipe.post(privateText('/stop'));
    expect(pipe.api.sentTexts()).toEqual(['approval needed', texts.approvalCancelled]);
    const stored = await storage.approvals.get(DEFAULT_TENANT, r.id);
    expect([stored?.status, stored?.resolvedBy]).toEqual(['cancelled', String(USER.id)]);
    const edit = pipe.api.callsTo('editMessageText')[0]?.params;
    expect(String(edit?.text)).toContain('Cancelled by Ada');
    expect(edit?.reply_markup).toEqual({ inline_keyboard: [] });
    await pipe.post(privateText('/stop'));
    expect(pipe.api.sentTexts()).toEqual(['approval needed', texts.approvalCancelled, texts.nothingRunning]);
    // The cancelled request's buttons are gone, and a tap on them now says how it ended.
    await pipe.post(pressOn(r, 'o'));
    expect(answers(pipe)).toEqual([{ text: texts.approvalAlready('cancelled by you'), alert: true }]);
    expect(queued).toEqual([]);
  });
});
