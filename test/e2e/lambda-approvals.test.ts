import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Update } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLambdaEnv, type LambdaEnv } from '../../src/app/lambda/env.js';
import { buildIngressHandler } from '../../src/app/lambda/ingress.js';
import { buildWorkerHandler } from '../../src/app/lambda/worker.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import type { SqsEvent } from '../../src/queue/sqs-batch.js';
import { startFakeTelegramApi, type FakeTelegramApi, type StoredMessage } from '../fakes/telegram-api.js';
import { startCloudPeers, type CloudPeers } from '../peers/index.js';
import { telegramWebhookEvent } from '../support/webhook-event.js';
import { press, privateText, USER } from '../telegram/updates.js';

/**
 * Approvals on the Lambda handlers against the local peers (DynamoDB Local, fauxqs, the real SDK
 * binary, the fake Bot API): a worker's turn asks under the default permissions; the tap goes
 * through the webhook Lambda, which reads the request from the sessions table, and is continued by
 * another, cold worker — no process waits between ask and tap.
 */
let peers: CloudPeers;
let telegram: FakeTelegramApi;
let model: ModelServer;
let dir: string;
let env: Record<string, string>;
let sqs: SQSClient;
let queueUrl: string;

const WEBHOOK_SECRET = 'webhook-secret-0123456789abcdef';

beforeAll(async () => {
  [peers, telegram, model] = await Promise.all([
    startCloudPeers(),
    startFakeTelegramApi(),
    startModelServer(),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'omni-lambda-approvals-'));
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
    DEDUPE_TABLE: await peers.newDedupeTable(),
    OMNICLOUD_STORAGE: 'cloud',
    SESSION_BUCKET: await peers.newBucket(),
    SESSION_TABLE: await peers.newTable(),
    ANTHROPIC_API_KEY: 'test-key-not-secret',
    ANTHROPIC_BASE_URL: model.url,
    TELEGRAM_LIVE_REPLIES: 'false',
  };
}, 120_000);

afterAll(async () => {
  await Promise.all([telegram?.close(), model?.close()]);
  await peers?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const lambdaEnv = (): Promise<LambdaEnv> =>
  loadLambdaEnv({ ...env, OMNICLOUD_DATA_DIR: join(dir, `data-${Math.random()}`) });

/** Receipt handles of what `received` returned, by message id (the Lambda event has none). */
const handles = new Map<string, string>();

async function received(): Promise<SqsEvent> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 2,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  for (const m of out.Messages ?? []) handles.set(m.MessageId ?? '', m.ReceiptHandle ?? '');
  return {
    Records: (out.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount,
        MessageGroupId: m.Attributes?.MessageGroupId,
      },
      eventSource: 'aws:sqs',
    })),
  };
}

/** What the Lambda event source does after a successful batch. */
async function done(event: SqsEvent): Promise<void> {
  for (const r of event.Records) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handles.get(r.messageId) }));
  }
}

const withButtons = (): StoredMessage[] =>
  telegram.messages(USER.id).filter((m) => JSON.stringify(m.replyMarkup ?? {}).includes('"ap:'));

function tapOn(message: StoredMessage, label: string): Update {
  const rows = (
    message.replyMarkup as { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> }
  ).inline_keyboard;
  const data = rows.flat().find((b) => b.text === label)?.callback_data ?? '';
  const update = press(data);
  (update.callback_query as { message: { message_id: number } }).message.message_id = message.messageId;
  return update;
}

describe('approvals on the Lambda handlers', () => {
  it('ask in one worker, tap through the webhook Lambda, run in a cold worker', async () => {
    const file = join(dir, 'lambda-approved.txt');
    const ingress = await buildIngressHandler(await lambdaEnv());
    await ingress(
      telegramWebhookEvent(privateText(`call tool Bash {"command":"touch ${file}"}`), WEBHOOK_SECRET),
    );
    const asking = await buildWorkerHandler(await lambdaEnv());
    const first = await received();
    expect(await asking.handler(first)).toEqual({ batchItemFailures: [] });
    await done(first);
    await asking.app.close();
    const [request] = withButtons();
    expect(request).toBeDefined();
    expect(existsSync(file)).toBe(false);

    // A forged tap (an id nobody issued) is refused at the ingress: nothing is queued.
    const forged = press(`ap:${'A'.repeat(22)}:o`);
    expect((await ingress(telegramWebhookEvent(forged, WEBHOOK_SECRET))).statusCode).toBe(200);

    const tap = tapOn(request as StoredMessage, '✅ Allow once');
    expect((await ingress(telegramWebhookEvent(tap, WEBHOOK_SECRET))).statusCode).toBe(200);
    const answers = telegram.callsTo('answerCallbackQuery').map((c) => c.params.text);
    expect(answers).toEqual(['Unknown approval request: nothing was changed.', 'Allowing once…']);
    const decision = await received();
    expect(decision.Records).toHaveLength(1);
    expect(JSON.parse(decision.Records[0]?.body ?? '{}')).toMatchObject({
      kind: 'approval',
      decision: 'allow_once',
    });

    const cold = await buildWorkerHandler(await lambdaEnv());
    expect(await cold.handler(decision)).toEqual({ batchItemFailures: [] });
    await cold.app.close();
    expect(existsSync(file)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('');
    const edited = telegram.messages(USER.id).find((m) => m.messageId === request?.messageId);
    expect(edited?.text).toContain('Allowed once by Ada');
    expect(edited?.replyMarkup).toBeUndefined();
  });
});
