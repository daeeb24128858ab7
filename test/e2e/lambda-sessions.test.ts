import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLambdaEnv } from '../../src/app/lambda/env.js';
import { buildIngressHandler } from '../../src/app/lambda/ingress.js';
import { buildWorkerHandler } from '../../src/app/lambda/worker.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import type { SqsEvent } from '../../src/queue/sqs-batch.js';
import { conversationTexts } from '../../src/telegram/worker/conversation-texts.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { startCloudPeers, type CloudPeers } from '../peers/index.js';
import { telegramWebhookEvent } from '../support/webhook-event.js';
import { privateText, updateId, USER } from '../telegram/updates.js';

/**
 * `/sessions`, a switch button and `/model` through the Lambda handlers as deployed (webhook
 * Lambda → SQS FIFO on fauxqs → a fresh worker Lambda per step, S3 + DynamoDB Local, the real SDK
 * binary): the worker's wiring of the conversation service, the session catalog in DynamoDB, and
 * a switch made by one container resumed by another.
 */
let peers: CloudPeers;
let telegram: FakeTelegramApi;
let model: ModelServer;
let dir: string;
let env: Record<string, string>;
let queueUrl: string;
let table: string;

const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';

beforeAll(async () => {
  [peers, telegram, model] = await Promise.all([
    startCloudPeers(),
    startFakeTelegramApi(),
    startModelServer(),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'omni-lambda-sessions-'));
  const bucket = await peers.newBucket();
  table = await peers.newTable();
  const dedupeTable = await peers.newDedupeTable();
  queueUrl = peers.newFifoQueue();
  env = {
    ...peers.awsEnv(),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_LOG_LEVEL: 'error',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_LIVE_REPLIES: 'false',
    QUEUE_URL: queueUrl,
    DEDUPE_TABLE: dedupeTable,
    OMNICLOUD_STORAGE: 'cloud',
    SESSION_BUCKET: bucket,
    SESSION_TABLE: table,
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    ANTHROPIC_BASE_URL: model.url,
    API_AUTH_MODE: 'token',
    API_AUTH_TOKEN: 'api-token-5f1c9a3e7b2d4c6a8e0f1b3d5c7a9e2f',
  };
}, 120_000);

afterAll(async () => {
  await Promise.all([telegram?.close(), model?.close()]);
  await peers?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lambdaEnv = () => loadLambdaEnv({ ...env, OMNICLOUD_DATA_DIR: join(dir, `data-${Math.random()}`) });

/** What the ingress enqueued, as the SQS event source hands it over, and the receipts to delete it. */
async function receiveAsLambdaEvent(): Promise<{ event: SqsEvent; receipts: string[] }> {
  const received = await peers.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 2,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const messages = received.Messages ?? [];
  const event: SqsEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount,
        MessageGroupId: m.Attributes?.MessageGroupId,
      },
      eventSource: 'aws:sqs',
    })),
  };
  return { event, receipts: messages.map((m) => m.ReceiptHandle ?? '') };
}

describe('conversation management through the Lambda handlers', () => {
  it('lists sessions from DynamoDB, switches by a button, and a cold worker resumes the chosen session', async () => {
    const ingress = await buildIngressHandler(await lambdaEnv());
    /** One update through the webhook Lambda, the queue and a fresh worker Lambda; its first reply. */
    const step = async (update: Update): Promise<string> => {
      const before = telegram.sentTexts({ chatId: USER.id }).length;
      expect((await ingress(telegramWebhookEvent(update, WEBHOOK_SECRET))).statusCode).toBe(200);
      const { event, receipts } = await receiveAsLambdaEvent();
      expect(event.Records).toHaveLength(1);
      const worker = await buildWorkerHandler(await lambdaEnv());
      try {
        expect(await worker.handler(event)).toEqual({ batchItemFailures: [] });
      } finally {
        await worker.app.close();
      }
      // What the event source mapping does with a batch that succeeded (the FIFO group unlocks).
      for (const receipt of receipts) {
        await peers.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipt }));
      }
      return telegram.sentTexts({ chatId: USER.id })[before] ?? '';
    };

    expect(await step(privateText('the first question'))).toContain('no earlier user messages');
    expect(await step(privateText('/new'))).toContain('Started a fresh conversation');
    expect(await step(privateText('another question'))).toContain('no earlier user messages');

    const list = await step(privateText('/sessions'));
    expect(list.startsWith(conversationTexts.sessionsHeader)).toBe(true);
    expect(list).toContain('· current\n   another question');
    expect(list).toContain('1 turn · $');
    const message = telegram
      .messages(USER.id)
      .filter((m) => m.text.startsWith(conversationTexts.sessionsHeader))
      .at(-1);
    const data = (
      message?.replyMarkup as { inline_keyboard: Array<Array<{ callback_data: string }>> } | undefined
    )?.inline_keyboard[0]?.[0]?.callback_data;
    expect(data).toMatch(/^ss:[0-9a-f-]{36}$/);

    const id = updateId();
    const tap = {
      update_id: id,
      callback_query: {
        id: `cb-${id}`,
        from: USER,
        chat_instance: '-1',
        data,
        message: {
          message_id: message?.messageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: USER.id, first_name: USER.first_name, type: 'private' },
          text: message?.text,
        },
      },
    } as unknown as Update;
    expect(await step(tap)).toMatch(/^Continuing the session from .*: the first question \(1 turn\)/);
    const conversation = await peers.doc.send(
      new GetCommand({
        TableName: table,
        Key: { pk: `default#c#${USER.id}:main`, sk: `conv#default:${USER.id}:main` },
      }),
    );
    expect(JSON.stringify(conversation.Item)).toContain(String(data).slice(3));

    expect(await step(privateText('and a follow-up'))).toContain('1 earlier user message');
    expect(await step(privateText('/model haiku'))).toContain('Model set to haiku');
  }, 180_000);
});
