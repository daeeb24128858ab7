import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLambdaEnv } from '../../src/app/lambda/env.js';
import { buildIngressHandler, type IngressHandler } from '../../src/app/lambda/ingress.js';
import { telegramRoutesSpec } from '../../src/app/lambda/telegram-routes.js';
import { buildWorkerHandler, type WorkerHandler } from '../../src/app/lambda/worker.js';
import type { AppDeps } from '../../src/app/types.js';
import { startModelServer, type ModelServer } from '../../src/model/index.js';
import type { SqsEvent } from '../../src/queue/sqs-batch.js';
import { loadTenantsFile } from '../../src/tenants/index.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { startCloudPeers, type CloudPeers } from '../peers/index.js';
import { privateText, USER } from '../telegram/updates.js';
import { TOKENS, createTenancyFixture, type TenancyFixture } from './fixture.js';
import { startTelegramRouter, type TelegramRouter } from './telegram-router.js';

/**
 * The Lambda functions of one multi-tenant deployment against local AWS peers: the ingress routes
 * `/telegram/<tenant>` from OMNICLOUD_TELEGRAM_TENANTS (its zip has no tenants file), the worker
 * reads the tenants file and answers with each message's own tenant's bot. Same chat id in both
 * tenants; S3 keys and DynamoDB partitions checked on the raw peers; a user budget in DynamoDB.
 */
let fx: TenancyFixture;
let peers: CloudPeers;
let model: ModelServer;
let alphaApi: FakeTelegramApi;
let betaApi: FakeTelegramApi;
let router: TelegramRouter;
let sqs: SQSClient;
let queueUrl: string;
let bucket: string;
let table: string;
let ingress: IngressHandler;
let worker: { handler: WorkerHandler; app: AppDeps };

const ALPHA_TOKEN = '800001:alpha-cloud-bot_abcdefghijklmnopqr';
const BETA_TOKEN = '800002:beta-cloud-bot_abcdefghijklmnopqrs';

function webhookEvent(tenant: string, secret: string, body: unknown) {
  return {
    rawPath: `/telegram/${tenant}`,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    requestContext: { http: { method: 'POST' } },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** What the Lambda event source does: receive a batch, and delete what the handler did not fail. */
async function consume(): Promise<SqsEvent & { handled: Awaited<ReturnType<WorkerHandler>> }> {
  const event = await receive();
  const handled = await worker.handler(event);
  const failed = new Set(handled.batchItemFailures.map((f) => f.itemIdentifier));
  for (const record of event.Records) {
    if (failed.has(record.messageId)) continue;
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receipts.get(record.messageId) }),
    );
  }
  return { ...event, handled };
}

const receipts = new Map<string, string>();

async function receive(): Promise<SqsEvent> {
  const received = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  for (const m of received.Messages ?? []) receipts.set(m.MessageId ?? '', m.ReceiptHandle ?? '');
  return {
    Records: (received.Messages ?? []).map((m) => ({
      messageId: m.MessageId ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount,
        MessageGroupId: m.Attributes?.MessageGroupId,
      },
    })),
  };
}

const items = async (pk: string) =>
  (
    await peers.doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    )
  ).Items ?? [];

const s3Keys = async (prefix: string) =>
  ((await peers.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? []).map(
    (o) => o.Key ?? '',
  );

beforeAll(async () => {
  [peers, model, alphaApi, betaApi, fx] = await Promise.all([
    startCloudPeers(),
    startModelServer(),
    startFakeTelegramApi({ token: ALPHA_TOKEN, username: 'alpha_bot' }),
    startFakeTelegramApi({ token: BETA_TOKEN, username: 'beta_bot' }),
    createTenancyFixture({
      botTokens: { alpha: ALPHA_TOKEN, beta: BETA_TOKEN },
      webhook: true,
      betaExtra: '    budgets:\n      user: { dayUsd: 0.000001 }',
    }),
  ]);
  router = await startTelegramRouter([alphaApi, betaApi]);
  bucket = await peers.newBucket();
  table = await peers.newTable();
  const dedupeTable = await peers.newDedupeTable();
  queueUrl = peers.newFifoQueue();
  sqs = peers.sqs;
  const common = {
    ...fx.secrets,
    ...peers.awsEnv(),
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    OMNICLOUD_LOG_LEVEL: 'error',
    TELEGRAM_API_ROOT: router.apiRoot,
  };
  // The ingress gets the compact routes (secret references only) derived from the tenants file.
  ingress = await buildIngressHandler(
    await loadLambdaEnv({
      ...common,
      QUEUE_URL: queueUrl,
      DEDUPE_TABLE: dedupeTable,
      OMNICLOUD_TELEGRAM_TENANTS: telegramRoutesSpec(loadTenantsFile(fx.tenantsFile)),
    }),
  );
  worker = await buildWorkerHandler(
    await loadLambdaEnv({
      ...common,
      OMNICLOUD_TENANTS_FILE: fx.tenantsFile,
      OMNICLOUD_STORAGE: 'cloud',
      SESSION_BUCKET: bucket,
      SESSION_TABLE: table,
      OMNICLOUD_DATA_DIR: fx.dataDir,
      ANTHROPIC_API_KEY: 'test-key-not-secret',
      ANTHROPIC_BASE_URL: model.url,
    }),
  );
}, 120_000);

afterAll(async () => {
  await worker?.app.close();
  await router?.close();
  await Promise.all([model?.close(), alphaApi?.close(), betaApi?.close()]);
  await peers?.stop();
  await fx?.close();
});

describe('multi-tenant Lambda deployment (ingress zip + worker image) against local peers', () => {
  it("routes each tenant's webhook with its own secret; the other tenant's secret is refused", async () => {
    expect(
      (await ingress(webhookEvent('alpha', TOKENS.BETA_WEBHOOK_SECRET, privateText('x')))).statusCode,
    ).toBe(401);
    expect(
      (await ingress(webhookEvent('beta', TOKENS.ALPHA_WEBHOOK_SECRET, privateText('x')))).statusCode,
    ).toBe(401);
    expect(
      (await ingress(webhookEvent('gamma', TOKENS.ALPHA_WEBHOOK_SECRET, privateText('x')))).statusCode,
    ).toBe(404);
    expect((await receive()).Records).toEqual([]);
  });

  it('same chat id in both tenants: separate message groups, sessions, S3 prefixes and DynamoDB partitions', async () => {
    // The same update_id on both bots is not a duplicate: dedupe is per tenant.
    const a = privateText('hello alpha cloud', USER, 424242);
    const b = privateText('hello beta cloud', USER, 424242);
    expect((await ingress(webhookEvent('alpha', TOKENS.ALPHA_WEBHOOK_SECRET, a))).statusCode).toBe(200);
    expect((await ingress(webhookEvent('beta', TOKENS.BETA_WEBHOOK_SECRET, b))).statusCode).toBe(200);
    const event = await consume();
    expect(event.Records.map((r) => r.attributes.MessageGroupId).sort()).toEqual([
      `alpha:${USER.id}:main`,
      `beta:${USER.id}:main`,
    ]);
    expect(event.handled).toEqual({ batchItemFailures: [] });
    expect(alphaApi.sentTexts({ chatId: USER.id })).toHaveLength(1);
    expect(betaApi.sentTexts({ chatId: USER.id })).toHaveLength(1);
    expect(betaApi.sentTexts()[0]).not.toContain('hello alpha cloud');

    const [alphaItems, betaItems] = await Promise.all([items('alpha'), items('beta')]);
    // Each conversation in its own partition (`<tenant>#c#<chat>:<thread>`), listed through a
    // marker on the tenant's; no session item of a turn on the tenant partition itself.
    const [alphaConv, betaConv] = await Promise.all([
      items(`alpha#c#${USER.id}:main`),
      items(`beta#c#${USER.id}:main`),
    ]);
    const conv = (list: typeof alphaItems) => list.find((i) => String(i['sk']).startsWith('conv#'));
    for (const i of [...alphaItems, ...betaItems]) {
      expect(['head', 'part', 'conversation', 'lease', 'turn']).not.toContain(i['kind']);
    }
    const alphaSession = String(conv(alphaConv)?.['sessionId']);
    const betaSession = String(conv(betaConv)?.['sessionId']);
    expect(alphaSession).toMatch(/^[0-9a-f-]{36}$/);
    expect(betaSession).toMatch(/^[0-9a-f-]{36}$/);
    expect(alphaSession).not.toBe(betaSession);
    // Usage items live on each tenant's own usage shards (`<tenant>#u<k>`, 8 by default), none
    // under the tenant's session partition.
    const usageItems = async (tenant: string) =>
      (await Promise.all(Array.from({ length: 8 }, (_, k) => items(`${tenant}#u${k}`)))).flat();
    const [alphaUsage, betaUsage] = await Promise.all([usageItems('alpha'), usageItems('beta')]);
    expect(alphaUsage.some((i) => String(i['sk']).startsWith('usage#'))).toBe(true);
    expect(betaUsage.some((i) => String(i['sk']).startsWith('usage#user#'))).toBe(true);
    expect([...alphaItems, ...betaItems].some((i) => String(i['sk']).startsWith('usage#'))).toBe(false);
    expect(alphaUsage.some((i) => JSON.stringify(i).includes(betaSession))).toBe(false);
    // Transcripts: heads and table parts in each session's own partition (`<tenant>#s#<session>`),
    // keyed by its own session; S3 objects (large parts, segments), if any, under each tenant's prefix only.
    const [alphaSessionItems, betaSessionItems] = await Promise.all([
      items(`alpha#s#${alphaSession}`),
      items(`beta#s#${betaSession}`),
    ]);
    const transcriptSks = (list: typeof alphaItems, tenant: string, session: string) =>
      list
        .map((i) => String(i['sk']))
        .filter(
          (sk) => sk.startsWith(`head#${tenant}#${session}#`) || sk.startsWith(`part#${tenant}#${session}#`),
        );
    expect(transcriptSks(alphaSessionItems, 'alpha', alphaSession).some((sk) => sk.startsWith('part#'))).toBe(
      true,
    );
    expect(transcriptSks(betaSessionItems, 'beta', betaSession).some((sk) => sk.startsWith('part#'))).toBe(
      true,
    );
    const alphaAll = [...alphaItems, ...alphaConv, ...alphaSessionItems];
    const betaAll = [...betaItems, ...betaConv, ...betaSessionItems];
    expect(alphaAll.some((i) => JSON.stringify(i).includes(betaSession))).toBe(false);
    expect(betaAll.some((i) => JSON.stringify(i).includes(alphaSession))).toBe(false);
    expect(
      (await s3Keys('')).every((k) => k.startsWith('tenants/alpha/') || k.startsWith('tenants/beta/')),
    ).toBe(true);
  });

  it("a user over beta's daily user budget is refused by beta's bot before the model is called", async () => {
    const before = model.requests.length;
    await ingress(webhookEvent('beta', TOKENS.BETA_WEBHOOK_SECRET, privateText('another one')));
    const event = await consume();
    expect(event.Records).toHaveLength(1);
    expect(event.handled).toEqual({ batchItemFailures: [] });
    const refusal = betaApi.sentTexts({ chatId: USER.id }).at(-1) ?? '';
    expect(refusal).toMatch(/Your daily budget is used up .* It resets at 00:00 UTC/);
    expect(model.requests.length).toBe(before);
    expect(alphaApi.sentTexts()).toHaveLength(1);
  });
});
