import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Hono } from 'hono';
import type { AgentRunner } from '../../src/agent/types.js';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import type { Logger } from '../../src/core/logger.js';
import { createSqsConsumer } from '../../src/queue/sqs-consumer.js';
import { createSqsQueue } from '../../src/queue/sqs-producer.js';
import type { AccessPolicy, CommandsConfig } from '../../src/telegram/config.js';
import type { TelegramApprovals } from '../../src/telegram/approvals/index.js';
import type { TelegramSchedules } from '../../src/telegram/ingress/schedule/types.js';
import type { TurnStops } from '../../src/telegram/ingress/stops.js';
import { createMemoryDeduper } from '../../src/telegram/dedupe/index.js';
import {
  createTelegramService,
  type QueueFactory,
  type TelegramService,
} from '../../src/telegram/service.js';
import type { LiveOptions } from '../../src/telegram/worker/live/index.js';
import type { WorkerFiles } from '../../src/telegram/worker/receive-files.js';
import type { ProactiveStores } from '../../src/telegram/worker/proactive.js';
import type {
  ConversationControl,
  TranscriptExporter,
  UsageReader,
} from '../../src/telegram/worker/types.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { startFauxqs, type FauxqsPeer } from '../peers/fauxqs.js';

export type QueueKind = 'memory' | 'sqs';

export interface PipelineOptions {
  /** Any `AgentRunner`: the fake one, or the real SDK runner for end-to-end suites. */
  runner: AgentRunner;
  queue?: QueueKind;
  /** Overrides `queue` (e.g. an in-process queue with short retry delays). */
  queueFactory?: QueueFactory;
  commands?: CommandsConfig;
  policy?: AccessPolicy;
  exportTranscript?: TranscriptExporter;
  usage?: UsageReader;
  /** Conversation management (e.g. `createConversationService` over the test's storage). */
  conversations?: ConversationControl;
  live?: LiveOptions;
  /** The conversations' running turns (e.g. a real storage's leases): `/stop`, Stop button, 👀. */
  stops?: TurnStops;
  /** Approval requests (e.g. `telegramApprovalsOf(storage)`): buttons, `/stop`'s cancel, `/debug`. */
  approvals?: TelegramApprovals;
  /** Schedules and their drafts (a `ScheduleService` and a claim store): `/schedule`. */
  schedules?: TelegramSchedules;
  /** Scheduled runs and alert investigations in the worker (e.g. `proactiveStoresOf(storage)`). */
  proactive?: ProactiveStores;
  logger?: Logger;
  /** Photos and documents in, the agent's files out (e.g. `{ store: storage.files, policy }`). */
  files?: WorkerFiles;
  /** Another pipeline's fake Bot API (a second process of the same bot); not closed by `close`. */
  api?: FakeTelegramApi;
}

/** The whole local Telegram pipeline against a fake Bot API: webhook app → queue → worker. */
export interface Pipeline {
  api: FakeTelegramApi;
  service: TelegramService;
  /** Hono app with `POST /telegram/default` mounted (call `app.request`, no server needed). */
  app: Hono;
  secret: string;
  /** POST an update (or a raw body) to the webhook with the right secret unless told otherwise. */
  post(update: unknown, options?: { secret?: string | null; raw?: string }): Promise<Response>;
  close(): Promise<void>;
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const api = options.api ?? (await startFakeTelegramApi());
  const cleanups: Array<() => Promise<void>> = [];
  let queueFactory: QueueFactory | undefined = options.queueFactory;
  if (!queueFactory && options.queue === 'sqs') {
    const { factory, close } = await sqsQueueFactory();
    queueFactory = factory;
    cleanups.push(close);
  }
  const service = createTelegramService({
    token: api.token,
    tenant: DEFAULT_TENANT,
    runner: options.runner,
    deduper: createMemoryDeduper(),
    apiRoot: api.apiRoot,
    botInfo: api.botInfo,
    ...(options.commands ? { commands: options.commands } : {}),
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.exportTranscript ? { exportTranscript: options.exportTranscript } : {}),
    ...(options.usage ? { usage: options.usage } : {}),
    ...(options.conversations ? { conversations: options.conversations } : {}),
    ...(options.stops ? { stops: options.stops } : {}),
    ...(options.approvals ? { approvals: options.approvals } : {}),
    ...(options.schedules ? { schedules: options.schedules } : {}),
    ...(options.proactive ? { proactive: options.proactive } : {}),
    ...(queueFactory ? { queue: queueFactory } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.live ? { live: options.live } : {}),
    ...(options.files ? { files: options.files } : {}),
    typingIntervalMs: 50,
  });
  const app = service.mountWebhook(new Hono(), WEBHOOK_SECRET);
  return {
    api,
    service,
    app,
    secret: WEBHOOK_SECRET,
    async post(update, post = {}) {
      const secret = post.secret === undefined ? WEBHOOK_SECRET : post.secret;
      return app.request('/telegram/default', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret !== null ? { 'x-telegram-bot-api-secret-token': secret } : {}),
        },
        body: post.raw ?? JSON.stringify(update),
      });
    },
    async close() {
      await service.stop();
      for (const cleanup of cleanups) await cleanup();
      if (!options.api) await api.close();
    },
  };
}

let queueCounter = 0;

/** SQS FIFO on fauxqs (with a FIFO DLQ after 5 receives) as the pipeline's queue. */
async function sqsQueueFactory(): Promise<{ factory: QueueFactory; close(): Promise<void> }> {
  const peer: FauxqsPeer = await startFauxqs();
  const client = new SQSClient({
    endpoint: peer.endpoint,
    region: peer.region,
    credentials: peer.credentials,
  });
  queueCounter++;
  const dlqUrl = peer.createQueue(`telegram-dlq-${queueCounter}.fifo`);
  const dlq = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueUrl = peer.createQueue(`telegram-${queueCounter}.fifo`, {
    VisibilityTimeout: '30',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.Attributes?.QueueArn, maxReceiveCount: 5 }),
  });
  return {
    factory: (handler) => ({
      queue: createSqsQueue({ client, queueUrl }),
      consumer: createSqsConsumer({ client, queueUrl, handler, waitTimeSeconds: 1, retryDelaySeconds: 0 }),
    }),
    async close() {
      client.destroy();
      await peer.stop();
    },
  };
}
