import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { newApprovalId } from '../../src/approvals/ids.js';
import type { ApprovalRecord, PendingApproval } from '../../src/approvals/types.js';
import { telegramApprovalsOf } from '../../src/app/telegram-approvals.js';
import { DEFAULT_TENANT, parseSessionId } from '../../src/core/ids.js';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { createMemoryStorage } from '../../src/sessions/adapters/memory/index.js';
import type { Storage } from '../../src/sessions/types.js';
import { texts } from '../../src/telegram/worker/texts.js';
import { createFakeRunner, type FakeRunner } from './fake-runner.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { FORUM, USER, press, privateText, topicText } from './updates.js';

/**
 * The worker's side of approvals with a scripted runner (results the real runner returns rarely:
 * a refused decision, an expired request, no approval store), the memory approval store and the
 * fake Bot API.
 */
let p: Pipeline | undefined;
let storage: Storage;
let runner: FakeRunner;
afterEach(async () => {
  await p?.close();
  p = undefined;
  await storage?.close();
});

const privateKey = conversationKey({ tenant: DEFAULT_TENANT, chat: USER.id });
const unescape = (s: string): string => s.replace(/\\([\s\S])/g, '$1');

async function start(options: { approvals?: boolean } = {}): Promise<Pipeline> {
  storage = createMemoryStorage();
  runner = createFakeRunner();
  runner.deliverUnderLease = true;
  p = await startPipeline({
    runner,
    stops: storage.leases,
    ...(options.approvals === false ? {} : { approvals: telegramApprovalsOf(storage) }),
    live: { enabled: false },
  });
  p.api.setChat(FORUM);
  return p;
}

/** A stored request shown in a message the bot sent. */
async function shown(pipe: Pipeline, key: ConversationKey, thread?: number): Promise<ApprovalRecord> {
  const sent = await pipe.service.bot.api.sendMessage(Number(key.chat), 'approval needed', {
    ...(thread !== undefined ? { message_thread_id: thread } : {}),
  });
  const now = Date.now();
  const record: ApprovalRecord = {
    id: newApprovalId(),
    key,
    sessionId: parseSessionId(randomUUID()),
    toolUseId: 'toolu_01',
    tool: 'Bash',
    input: '{"command":"aws ec2 reboot-instances --instance-ids i-1"}',
    summary: 'aws ec2 reboot-instances --instance-ids i-1',
    grantRule: 'Bash(aws ec2 reboot-instances *)',
    createdAt: now,
    expiresAt: now + 60_000,
    status: 'pending',
    notice: { chatId: Number(key.chat), messageId: sent.message_id },
  };
  await storage.approvals.create(record);
  return record;
}

const pending = (id = newApprovalId()): PendingApproval => ({
  id,
  tool: 'mcp__aws__reboot_instance',
  input: { instance: 'i-1' },
  summary: 'reboot i-1 `now` *please*',
  grant_rule: 'mcp__aws__reboot_instance',
  expires_at: new Date(Date.now() + 30 * 60_000).toISOString(),
});

const textOf = (pipe: Pipeline, chatId: number, messageId: number): string =>
  unescape(pipe.api.messages(chatId).find((m) => m.messageId === messageId)?.text ?? '');

describe('the worker and approval requests', () => {
  it('shows a request in a forum topic as a reply there, with the text streamed before it first', async () => {
    const pipe = await start();
    const request = pending();
    await storage.approvals.create({
      id: request.id,
      key: conversationKey({ tenant: DEFAULT_TENANT, chat: FORUM.id, thread: 7 }),
      sessionId: parseSessionId(randomUUID()),
      toolUseId: 'toolu_02',
      tool: request.tool,
      input: '{}',
      summary: request.summary,
      grantRule: request.grant_rule,
      createdAt: Date.now(),
      expiresAt: Date.parse(request.expires_at),
      status: 'pending',
    });
    runner.respond = () => ({ response: 'I will reboot it.', pending_approval: request });
    const update = topicText(7, 'reboot i-1');
    await pipe.post(update);
    await pipe.api.waitFor(() => pipe.api.sentTexts({ chatId: FORUM.id }).length >= 2);
    const calls = pipe.api.callsTo('sendMessage').filter((c) => c.params.chat_id === FORUM.id);
    expect(calls.map((c) => c.params.message_thread_id)).toEqual([7, 7]);
    expect(unescape(String(calls[0]?.params.text))).toBe('I will reboot it.');
    expect(unescape(String(calls[1]?.params.text))).toContain('reboot i-1 `now` *please*');
    expect(calls[1]?.params.parse_mode).toBe('MarkdownV2');
    // The notice is stored once sendMessage has answered the worker: poll, do not race it.
    let stored = await storage.approvals.get(DEFAULT_TENANT, request.id);
    for (let i = 0; i < 250 && stored?.notice === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stored = await storage.approvals.get(DEFAULT_TENANT, request.id);
    }
    expect(stored?.notice?.chatId).toBe(FORUM.id);
  });

  it('without an approval store, says a request is needed in plain words (no buttons)', async () => {
    const pipe = await start({ approvals: false });
    runner.respond = () => ({ response: '', pending_approval: pending() });
    await pipe.post(privateText('reboot i-1'));
    await pipe.api.waitFor(() => pipe.api.sentTexts().length >= 1);
    expect(pipe.api.sentTexts()).toEqual([`${texts.approvalNeeded}: reboot i-1 \`now\` *please*`]);
  });

  it('a decision the runner refuses while the request is still pending: says so and edits the request', async () => {
    const pipe = await start();
    const r = await shown(pipe, privateKey);
    runner.respond = () => ({
      response: '',
      is_error: true,
      error_code: 'approval_unavailable',
      error_message: '[approvals] not the conversation’s current request',
    });
    const tap = press(`ap:${r.id}:o`);
    (tap.callback_query as { message: { message_id: number } }).message.message_id = r.notice?.messageId ?? 0;
    await pipe.post(tap);
    await pipe.api.waitFor(() => pipe.api.sentTexts().length >= 2);
    expect(pipe.api.sentTexts().at(-1)).toBe(texts.approvalUnavailable);
    expect(textOf(pipe, USER.id, r.notice?.messageId ?? 0)).toContain(
      '⚠️ Not run: [approvals] not the conversation’s current request',
    );
    expect(runner.turns.at(-1)?.text).toBe('');
  });

  it('edits a request the turn found expired, and answers the message', async () => {
    const pipe = await start();
    const r = await shown(pipe, privateKey);
    runner.respond = () => ({ response: 'hello', resolved_approval: { id: r.id, status: 'expired' } });
    await pipe.post(privateText('hi again'));
    await pipe.api.waitFor(() => textOf(pipe, USER.id, r.notice?.messageId ?? 0).includes('Expired'));
    expect(pipe.api.sentTexts().at(-1)).toBe('hello');
  });
});
