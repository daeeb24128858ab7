import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLambdaEnv } from '../../src/app/lambda/env.js';
import { buildIngressHandler } from '../../src/app/lambda/ingress.js';
import { buildWorkerHandler, type WorkerHandler } from '../../src/app/lambda/worker.js';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import type { SqsEventRecord } from '../../src/queue/sqs-batch.js';
import { createDynamoSendBudget } from '../../src/telegram/send-budget/dynamodb.js';
import { botIdOf, type SendBudget } from '../../src/telegram/send-budget/types.js';
import { DEFER_AFTER_MS } from '../../src/telegram/worker/outbox.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { startCloudPeers, type CloudPeers } from '../peers/index.js';
import { queueDepth } from '../peers/queue-depth.js';
import { privateText, USER } from '../telegram/updates.js';
import { bookWhenModelAsked } from '../support/book-when-asked.js';
import { telegramWebhookEvent } from '../support/webhook-event.js';

/**
 * The reply outbox end to end on the worker Lambda's handler (docs/scale.md §8.8): webhook → SQS
 * FIFO (fauxqs, the deployment's 5,400 s visibility timeout) → worker turn with the real SDK binary
 * against the offline model, cloud storage on DynamoDB Local, the bot's shared send budget at
 * 1/s and booked ~20 s ahead by other workers while the turn runs. The turn's invocation returns without
 * waiting for the reply's slot, its record reported failed and invisible; it comes back at the
 * slot, the recorded reply reaches the fake Bot API once, the model is not asked again, and the
 * conversation's second message, sent meanwhile, is answered after it.
 */
let peers: CloudPeers;
let telegram: FakeTelegramApi;
let model: ModelServer;
let dir: string;
let env: Record<string, string>;
let queueUrl: string;
let table: string;

const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';
const BOOKED_AHEAD_S = 20;

beforeAll(async () => {
  [peers, telegram, model] = await Promise.all([
    startCloudPeers(),
    startFakeTelegramApi(),
    startModelServer(),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'omni-outbox-'));
  table = await peers.newTable();
  queueUrl = peers.fauxqs.createQueue(`outbox-${Date.now()}.fifo`, { VisibilityTimeout: '5400' });
  env = {
    ...peers.awsEnv(),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_LOG_LEVEL: 'error',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_SEND_PER_SECOND: '1',
    TELEGRAM_LIVE_REPLIES: 'false',
    QUEUE_URL: queueUrl,
    DEDUPE_TABLE: await peers.newDedupeTable(),
    OMNICLOUD_STORAGE: 'cloud',
    SESSION_BUCKET: await peers.newBucket(),
    SESSION_TABLE: table,
    OMNICLOUD_DATA_DIR: join(dir, 'data'),
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

/** One receive as the event source mapping does it (long poll of at most `waitSeconds`). */
async function receive(waitSeconds: number): Promise<SqsEventRecord[]> {
  const out = await peers.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
    }),
  );
  return (out.Messages ?? []).map((m) => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      MessageGroupId: m.Attributes?.MessageGroupId ?? '',
    },
  }));
}

async function receiveWithin(seconds: number): Promise<SqsEventRecord[]> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const records = await receive(Math.max(0, Math.min(2, Math.floor((deadline - Date.now()) / 1000))));
    if (records.length > 0) return records;
  }
  return [];
}

/** Invokes the handler like Lambda: deletes the records it did not report; its duration and failures. */
async function invoke(
  handler: WorkerHandler,
  records: SqsEventRecord[],
): Promise<{ failed: string[]; ms: number }> {
  const started = Date.now();
  const { batchItemFailures } = await handler({ Records: records });
  const ms = Date.now() - started;
  const failed = batchItemFailures.map((f) => f.itemIdentifier);
  for (const r of records.filter((r) => !failed.includes(r.messageId))) {
    await peers.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle }));
  }
  return { failed, ms };
}

describe('the reply outbox on the worker Lambda (fauxqs FIFO, DynamoDB Local budget, real SDK binary)', () => {
  it('a turn whose bot is booked far ahead frees its invocation; the reply comes back at its slot, once, in order, without the model', async () => {
    // Other workers book the bot's shared budget ~20 s ahead (1/s: 20 replies waiting).
    const budget: SendBudget = createDynamoSendBudget({
      dynamo: peers.doc,
      table,
      bot: { tenant: DEFAULT_TENANT, botId: botIdOf(telegram.token) },
      perSecond: 1,
    });
    // Booked when the turn asks the model, so the slot is still far when the turn ends, however
    // long the turn takes on a loaded machine.
    const booked = bookWhenModelAsked(model, async () => {
      const until = Date.now() + BOOKED_AHEAD_S * 1000;
      while ((await budget.nextSlot(Date.now())) < until) await budget.reserve(Date.now(), 'wait');
    });

    const ingress = await buildIngressHandler(await loadLambdaEnv(env));
    expect(
      (await ingress(telegramWebhookEvent(privateText('first question'), WEBHOOK_SECRET))).statusCode,
    ).toBe(200);
    const first = await receive(2);
    expect(first).toHaveLength(1);
    const worker = await buildWorkerHandler(await loadLambdaEnv(env));
    try {
      const deferred = await invoke(worker.handler, first);
      expect(booked()).toBe(1);
      expect(deferred.failed).toEqual([first[0]?.messageId]);
      const returnedAt = Date.now();
      const slotAt = await budget.nextSlot(returnedAt);
      const slotWaitMs = slotAt - returnedAt;
      // Returned without holding the invocation for the reply's slot: still more than 10 s away.
      expect(slotWaitMs).toBeGreaterThan(DEFER_AFTER_MS);
      expect(telegram.sentTexts({ chatId: USER.id })).toEqual([]); // no reply, no "sorry, it failed"
      const modelRequests = model.requests.length;
      expect(modelRequests).toBeGreaterThan(0);

      // The conversation's next message, meanwhile: FIFO keeps it behind the deferred one.
      await ingress(telegramWebhookEvent(privateText('second question'), WEBHOOK_SECRET));
      expect(await receive(1)).toEqual([]);
      expect(await queueDepth(peers.sqs, queueUrl)).toEqual({ visible: 1, inFlight: 1 });

      const back = await receiveWithin(slotWaitMs / 1000 + 10);
      // Visible again at its slot (whole seconds, rounded up), not after a retry delay or 5,400 s.
      expect(Date.now()).toBeGreaterThanOrEqual(slotAt - 1000);
      expect(back.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).toEqual([
        [first[0]?.messageId, '2'],
      ]);
      const redelivered = await invoke(worker.handler, back);
      expect(redelivered.failed).toEqual([]);
      expect(model.requests).toHaveLength(modelRequests); // answered from the turn ledger
      const replies = telegram.sentTexts({ chatId: USER.id });
      expect(replies).toHaveLength(1);
      expect(replies[0]).toContain('first question');

      const second = await receiveWithin(5);
      expect(second.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1']);
      expect((await invoke(worker.handler, second)).failed).toEqual([]);
      const all = telegram.sentTexts({ chatId: USER.id });
      expect(all).toHaveLength(2);
      expect(all[1]).toContain('second question');
      expect(all[1]).toContain('first question'); // its turn saw the first (history, in order)
      expect(await queueDepth(peers.sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
      console.log(
        `[outbox] deferred invocation ${deferred.ms} ms (the slot was ${slotWaitMs} ms further); ` +
          `redelivery ${redelivered.ms} ms; receives used 2`,
      );
    } finally {
      await worker.app.close();
    }
  }, 90_000);
});
