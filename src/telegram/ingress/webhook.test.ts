import { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TENANT } from '../../core/ids.js';
import { textOf } from '../../queue/conformance.js';
import { QueueError } from '../../queue/errors.js';
import type { ConversationQueue, QueuedMessage } from '../../queue/types.js';
import { createMemoryDeduper } from '../dedupe/memory.js';
import { createIngress } from './ingress.js';
import { createTelegramWebhookLambda, type ApiGatewayV2Event } from './lambda.js';
import { mountTelegramWebhook } from './webhook.js';
import { updateIdOf } from '../../queue/message.js';

const SECRET = 'correct-horse-battery-staple';
const botInfo = { id: 1, is_bot: true, first_name: 'Bot', username: 'omni_test_bot' } as UserFromGetMe;

function setup(queue?: ConversationQueue) {
  const enqueued: QueuedMessage[] = [];
  const bot = new Bot('1:x', { botInfo });
  // The Bot API stubbed with a transformer (no network): every call recorded and answered `true`.
  const calls: Array<{ method: string; payload: unknown }> = [];
  bot.api.config.use(async (_prev, method, payload) => {
    calls.push({ method, payload });
    return { ok: true, result: true } as never;
  });
  bot.use(
    createIngress({
      tenant: DEFAULT_TENANT,
      queue: queue ?? { enqueue: async (m) => void enqueued.push(m) },
      deduper: createMemoryDeduper(),
    }),
  );
  const options = { resolve: (t: string) => (t === 'default' ? { bot, secretToken: SECRET } : undefined) };
  const app = mountTelegramWebhook(new Hono(), options);
  const post = (body: string, secret: string | null = SECRET, tenant = 'default') =>
    app.request(`/telegram/${tenant}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}),
      },
      body,
    });
  return { app, post, enqueued, calls, lambda: createTelegramWebhookLambda(options) };
}

const update = (id: number, text = 'hi') =>
  JSON.stringify({
    update_id: id,
    message: {
      message_id: 5,
      date: 1_700_000_000,
      chat: { id: 42, type: 'private', first_name: 'A' },
      from: { id: 42, is_bot: false, first_name: 'A' },
      text,
    },
  });

describe('Telegram webhook route', () => {
  it('refuses a wrong or missing secret with 401 and enqueues nothing', async () => {
    const { post, enqueued } = setup();
    expect((await post(update(1), 'wrong')).status).toBe(401);
    expect((await post(update(1), null)).status).toBe(401);
    expect((await post(update(1), `${SECRET}x`)).status).toBe(401);
    expect(enqueued).toEqual([]);
    expect((await post(update(1))).status).toBe(200);
    expect(enqueued).toHaveLength(1);
  });

  it('answers 404 for an unknown tenant', async () => {
    expect((await setup().post(update(1), SECRET, 'nobody')).status).toBe(404);
  });

  it('rejects malformed bodies with 4xx and never crashes', async () => {
    const { post, enqueued } = setup();
    const bodies = [
      'not json',
      '',
      '[]',
      'null',
      '42',
      '{"update_id":"1"}',
      '{"update_id":-1}',
      '{"update_id":1.5}',
      '{"update_id":1,"message":"hello"}',
      '{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":"x","type":"private"}}}',
      '{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":7}}',
      '{"update_id":1,"my_chat_member":{"chat":{"id":1,"type":"group"}}}',
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
    }
    const huge = JSON.stringify({ update_id: 9, message: { text: 'x'.repeat(2 * 1024 * 1024) } });
    expect((await post(huge)).status).toBe(413);
    expect(enqueued).toEqual([]);
  });

  it('acknowledges update kinds it does not handle', async () => {
    const { post, enqueued } = setup();
    const inline = JSON.stringify({
      update_id: 3,
      inline_query: { id: 'q', from: { id: 1 }, query: 'x', offset: '' },
    });
    expect((await post(inline)).status).toBe(200);
    expect(enqueued).toEqual([]);
  });

  it('refuses a malformed button press with 400 before the ingress sees it', async () => {
    const { post, enqueued, calls } = setup();
    const from = { id: 7, is_bot: false, first_name: 'Ada' };
    const chat = { id: 7, type: 'private' };
    const message = { message_id: 5, date: 1, chat };
    const bad = [
      { id: 'q', from: { id: 7 }, data: 'stop:1' }, // from without is_bot / first_name
      { id: '', from, data: 'stop:1' },
      { id: 'q'.repeat(65), from, data: 'stop:1' },
      { id: 1, from, data: 'stop:1' },
      { id: 'q', from, data: 'x'.repeat(65) },
      { id: 'q', from, data: 'é'.repeat(33) }, // 66 bytes in 33 characters
      { id: 'q', from, data: '' },
      { id: 'q', from, data: 'stop:1', message: { message_id: 'x', date: 1, chat } },
      { id: 'q', from, data: 'stop:1', message: { ...message, chat: { id: 7 } } },
      'a button',
    ];
    for (const callback_query of bad) {
      const body = JSON.stringify({ update_id: 4, callback_query });
      expect((await post(body)).status, body).toBe(400);
    }
    const good = { id: '4242', from, chat_instance: '-1', data: 'é'.repeat(32), message };
    expect((await post(JSON.stringify({ update_id: 5, callback_query: good }))).status).toBe(200);
    expect(enqueued).toEqual([]);
    // Only the well-formed press reached the ingress, which answered it.
    expect(calls).toEqual([
      { method: 'answerCallbackQuery', payload: { callback_query_id: '4242', text: 'Unknown button' } },
    ]);
  });

  it('answers 503 when the queue is down, and processes the re-delivery', async () => {
    let down = true;
    const enqueued: QueuedMessage[] = [];
    const { post } = setup({
      enqueue: async (m) => {
        if (down) throw new QueueError('[queue:test] down');
        enqueued.push(m);
      },
    });
    expect((await post(update(7))).status).toBe(503);
    down = false;
    expect((await post(update(7))).status).toBe(200);
    expect(enqueued.map((m) => updateIdOf(m))).toEqual([7]);
  });
});

describe('Telegram webhook as a Lambda handler', () => {
  const event = (body: string, base64: boolean, secret = SECRET): ApiGatewayV2Event => ({
    rawPath: '/telegram/default',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
    requestContext: { http: { method: 'POST' } },
  });

  it('decodes base64 bodies and enqueues', async () => {
    const { lambda, enqueued } = setup();
    const res = await lambda(event(update(11, 'héllo ✓'), true));
    expect(res.statusCode).toBe(200);
    expect(enqueued.map(textOf)).toEqual(['héllo ✓']);
    expect((await lambda(event(update(12), false))).statusCode).toBe(200);
    expect(enqueued).toHaveLength(2);
  });

  it('refuses a wrong secret and malformed bodies', async () => {
    const { lambda, enqueued } = setup();
    expect((await lambda(event(update(13), true, 'nope'))).statusCode).toBe(401);
    expect((await lambda(event('{{{', true))).statusCode).toBe(400);
    expect(enqueued).toEqual([]);
  });

  it('answers an event fetch cannot represent with a JSON 400, never a rejection', async () => {
    const { lambda, enqueued } = setup();
    const malformed = { ok: false, error: 'malformed request' };
    const snowman = { ...event(update(21), false), headers: { 'user-agent': 'sn\u00f6wman \u2603' } };
    const res = await lambda(snowman);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toEqual(malformed);
    const badBase64 = { ...event(update(22), false), body: 'eyJ1cGRhdGVfaWQiOjF9!!', isBase64Encoded: true };
    expect(JSON.parse((await lambda(badBase64)).body)).toEqual(malformed);
    const get = { ...event(update(23), false), requestContext: { http: { method: 'GET' } } };
    expect((await lambda(get)).statusCode).toBe(404);
    expect(enqueued).toEqual([]);
  });
});
