import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../src/app/lambda/api.js';
import { loadLambdaEnv, type LambdaEnv } from '../../src/app/lambda/env.js';
import { lambdaStreamingRuntime, streamingApiHandler } from '../../src/app/lambda/stream.js';
import { buildIngressHandler } from '../../src/app/lambda/ingress.js';
import { buildWorkerHandler } from '../../src/app/lambda/worker.js';
import { DEMO_LABEL, startModelServer, type ModelServer } from '../../src/model/index.js';
import type { SqsEvent } from '../../src/queue/sqs-batch.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { startCloudPeers, type CloudPeers } from '../peers/index.js';
import {
  decodeHttpIntegration,
  functionUrlEvent,
  installAwsLambdaGlobal,
  invokeStreaming,
} from '../support/lambda-runtime.js';
import { privateText, USER } from '../telegram/updates.js';
import { telegramWebhookEvent } from '../support/webhook-event.js';

/**
 * The three Lambda handlers invoked in-process with real event shapes (API Gateway v2, SQS FIFO
 * batch, streaming Function URL) against the local peers: webhook in → SQS message → worker turn with the real
 * SDK binary → reply on the fake Bot API → conversation persisted in the S3/DynamoDB peers.
 */
let peers: CloudPeers;
let telegram: FakeTelegramApi;
let model: ModelServer;
let dir: string;
let env: Record<string, string>;
let sqs: SQSClient;
let queueUrl: string;
let bucket: string;
let table: string;

const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';
const API_TOKEN = 'api-token-5f1c9a3e7b2d4c6a8e0f1b3d5c7a9e2f';

beforeAll(async () => {
  [peers, telegram, model] = await Promise.all([
    startCloudPeers(),
    startFakeTelegramApi(),
    startModelServer(),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'omni-lambda-'));
  bucket = await peers.newBucket();
  table = await peers.newTable();
  const dedupeTable = await peers.newDedupeTable();
  queueUrl = peers.newFifoQueue();
  sqs = peers.sqs;
  env = {
    ...peers.awsEnv(),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_LOG_LEVEL: 'error',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    QUEUE_URL: queueUrl,
    DEDUPE_TABLE: dedupeTable,
    OMNICLOUD_STORAGE: 'cloud',
    SESSION_BUCKET: bucket,
    SESSION_TABLE: table,
    OMNICLOUD_DATA_DIR: join(dir, 'data'),
    // Production semantics (the Lambda default): a real provider is required, so point the
    // Anthropic provider at the local model server.
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    ANTHROPIC_BASE_URL: model.url,
    API_AUTH_MODE: 'token',
    API_AUTH_TOKEN: API_TOKEN,
  };
}, 120_000);

afterAll(async () => {
  await Promise.all([telegram?.close(), model?.close()]);
  await peers?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lambdaEnv = (overrides: Record<string, string> = {}): Promise<LambdaEnv> =>
  loadLambdaEnv({ ...env, OMNICLOUD_DATA_DIR: join(dir, `data-${Math.random()}`), ...overrides });

/** Receive what the ingress enqueued and shape it as the Lambda SQS event source would. */
async function receiveAsLambdaEvent(): Promise<SqsEvent> {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 2,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return {
    Records: (received.Messages ?? []).map((m) => ({
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
}

describe('Lambda handlers against local peers', () => {
  it('webhook → SQS FIFO → worker → Telegram reply, persisted in S3 + DynamoDB; a cold worker resumes', async () => {
    const ingress = await buildIngressHandler(await lambdaEnv());

    const forged = await ingress(telegramWebhookEvent(privateText('hi'), 'not-the-secret'));
    expect(forged.statusCode).toBe(401);

    const update = privateText('hello from lambda');
    for (let i = 0; i < 3; i++) {
      const ack = await ingress(telegramWebhookEvent(update, WEBHOOK_SECRET)); // Telegram re-sends
      expect(ack.statusCode).toBe(200);
    }
    const first = await receiveAsLambdaEvent();
    expect(first.Records).toHaveLength(1); // deduped by update_id
    expect(first.Records[0]?.attributes.MessageGroupId).toBe(`default:${USER.id}:main`);

    const worker = await buildWorkerHandler(await lambdaEnv());
    expect(await worker.handler(first)).toEqual({ batchItemFailures: [] });
    const replies = telegram.sentTexts({ chatId: USER.id });
    expect(replies.at(-1)).toContain(DEMO_LABEL.replace(/[[\]]/g, ''));
    expect(replies.at(-1)).toContain('no earlier user messages');

    // Persisted in the peers: the conversation in its own partition (`<tenant>#c#<chat>:<thread>`),
    // the transcript's head and parts in the session's (`<tenant>#s#<session>`; parts this small are
    // table parts, not S3 objects), a session marker on the tenant's.
    const conversation = await peers.doc.send(
      new GetCommand({
        TableName: table,
        Key: { pk: `default#c#${USER.id}:main`, sk: `conv#default:${USER.id}:main` },
      }),
    );
    const session = String(conversation.Item?.['sessionId']);
    const stored = await peers.doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :part)',
        ExpressionAttributeValues: { ':pk': `default#s#${session}`, ':part': `part#default#${session}#` },
      }),
    );
    expect(stored.Count).toBeGreaterThan(0);
    const marker = await peers.doc.send(
      new GetCommand({ TableName: table, Key: { pk: 'default', sk: `head#default#${session}#` } }),
    );
    expect(marker.Item?.['kind']).toBe('head-index');
    expect(conversation.Item?.['ttl']).toBeGreaterThan(Date.now() / 1000 + 24 * 24 * 3600);
    await worker.app.close();

    // A second message handled by a different (cold) worker: history comes from the peers.
    await ingress(telegramWebhookEvent(privateText('second message'), WEBHOOK_SECRET));
    const second = await receiveAsLambdaEvent();
    const coldWorker = await buildWorkerHandler(await lambdaEnv());
    expect(await coldWorker.handler(second)).toEqual({ batchItemFailures: [] });
    expect(telegram.sentTexts({ chatId: USER.id }).at(-1)).toContain('hello from lambda');
    await coldWorker.app.close();
  });

  it('agent API behind a streaming Function URL: bearer auth, the original contract, SSE', async () => {
    const { app, deps } = await buildApiApp(await lambdaEnv());
    const restore = installAwsLambdaGlobal(); // what the Lambda Node.js runtime defines
    try {
      const lambda = streamingApiHandler(lambdaStreamingRuntime(), async () => app);
      const invoke = async (token?: string, extra: Record<string, unknown> = {}) =>
        decodeHttpIntegration(
          await invokeStreaming(
            lambda,
            functionUrlEvent('POST', '/v1/chat', {
              headers: token ? { authorization: `Bearer ${token}` } : {},
              body: { user_message: 'hello api', chat_id: 'api-chat', ...extra },
            }),
          ),
        );
      expect((await invoke()).statusCode).toBe(401);
      expect((await invoke('wrong-token')).statusCode).toBe(401);
      const ok = await invoke(API_TOKEN);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(ok.body) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(
        expect.arrayContaining([
          'response',
          'session_id',
          'cost_usd',
          'num_turns',
          'is_error',
          'error_message',
        ]),
      );
      expect(body['is_error']).toBe(false);
      expect(String(body['response'])).toContain('hello api');

      // The same turn streamed, with the real SDK binary: events, then the result, after the prelude.
      const streamed = await invoke(API_TOKEN, { user_message: 'hello stream', stream: true });
      expect(streamed.statusCode).toBe(200);
      expect(streamed.headers['content-type']).toBe('text/event-stream');
      expect(streamed.body).toMatch(/^event: turn_started\n/);
      const result = /event: result\ndata: (.*)\n\n$/.exec(streamed.body)?.[1];
      expect(String((JSON.parse(result ?? '{}') as Record<string, unknown>)['response'])).toContain(
        'hello stream',
      );
    } finally {
      restore();
      await deps.close();
    }
  });

  it('refuses to start the API in production with a weak token', async () => {
    await expect(lambdaEnv({ API_AUTH_TOKEN: 'change-me-in-production' }).then(buildApiApp)).rejects.toThrow(
      /API_AUTH_TOKEN/,
    );
  });
});
