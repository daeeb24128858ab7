import type { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Hono } from 'hono';
import type { AgentRunner } from '../agent/types.js';
import type { TenantId } from '../core/ids.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createMemoryQueue } from '../queue/memory.js';
import type { ConversationQueue, QueueConsumer, QueueHandler } from '../queue/types.js';
import type { AccessPolicy, CommandsConfig } from './config.js';
import type { UpdateDeduper } from './dedupe/types.js';
import { startTelegramPolling, type PollingHandle } from './ingress/polling.js';
import type { TelegramApprovals } from './approvals/index.js';
import type { TelegramSchedules } from './ingress/schedule/types.js';
import type { TurnStops } from './ingress/stops.js';
import { mountTelegramWebhook } from './ingress/webhook.js';
import type { SendBudget } from './send-budget/types.js';
import { createTenantBot } from './tenant-bot.js';
import type { LiveOptions } from './worker/live/index.js';
import type { WorkerFiles } from './worker/receive-files.js';
import type { ProactiveStores } from './worker/proactive.js';
import type { ConversationControl, TranscriptExporter, UsageReader } from './worker/types.js';

/** Builds the queue around the worker's handler: producer + the consumer that feeds the handler. */
export type QueueFactory = (handler: QueueHandler) => {
  queue: ConversationQueue;
  consumer: QueueConsumer & { idle?(): Promise<void> };
};

export interface TelegramServiceDeps {
  token: string;
  tenant: TenantId;
  runner: AgentRunner;
  deduper: UpdateDeduper;
  apiRoot?: string;
  botInfo?: UserFromGetMe;
  commands?: CommandsConfig;
  policy?: AccessPolicy;
  /** The conversations' running turns (the storage's leases): `/stop`, the Stop button, 👀. */
  stops?: TurnStops;
  /** Approval requests (the storage's approvals and conversation map): buttons, `/stop`, `/debug`. */
  approvals?: TelegramApprovals;
  /** Schedules and `/schedule add` drafts (the schedule service and the claim store): `/schedule`. */
  schedules?: TelegramSchedules;
  exportTranscript?: TranscriptExporter;
  usage?: UsageReader;
  /** Conversation management (`/sessions` and its buttons, `/model`, `/agent`, `/debug`'s settings). */
  conversations?: ConversationControl;
  /** Photos and documents in, the agent's files out; without it files get a "not available" reply. */
  files?: WorkerFiles;
  /** Scheduled runs and alert investigations (issue 16): the schedule store and claims. */
  proactive?: ProactiveStores;
  /** Default: the in-process queue (`createMemoryQueue`). */
  queue?: QueueFactory;
  typingIntervalMs?: number;
  /** Live replies (streamed answer, tool progress); default on. */
  live?: LiveOptions;
  /** The bot's send budget (Telegram's flood limits paced before sending); default none. */
  sendBudget?: SendBudget;
  logger?: Logger;
}

/** Ingress + queue + worker in one process (local `npm start`, tests, the benchmark). */
export interface TelegramService {
  readonly bot: Bot;
  readonly queue: ConversationQueue;
  /** Long polling (no public URL needed). */
  startPolling(): PollingHandle;
  /** Serve `POST /telegram/<tenant>` on `app` (webhook mode behind a tunnel). */
  mountWebhook<A extends Hono>(app: A, secretToken: string): A;
  /** Resolves when the queue is drained (only for queues that can tell, e.g. the in-process one). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function createTelegramService(deps: TelegramServiceDeps): TelegramService {
  const logger = deps.logger ?? silentLogger;
  // The queue is built before the bot whose worker it feeds: nothing is handed to the worker
  // before the first enqueue, which only the bot's ingress does.
  const built: { worker?: QueueHandler } = {};
  const handler: QueueHandler = async (message, delivery) => {
    if (!built.worker) throw new Error('[telegram:service] the worker is not ready');
    return built.worker(message, delivery);
  };
  const { queue, consumer } = (
    deps.queue ??
    ((h) => {
      const busy = deps.policy?.busyMessages ?? 'merge';
      const memory = createMemoryQueue({ handler: h, logger, busy: () => busy });
      return { queue: memory, consumer: memory };
    })
  )(handler);
  const tenantBot = createTenantBot({
    tenant: deps.tenant,
    token: deps.token,
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
    ...(deps.apiRoot ? { apiRoot: deps.apiRoot } : {}),
    ...(deps.sendBudget ? { sendBudget: deps.sendBudget } : {}),
    logger,
    ingress: {
      queue,
      deduper: deps.deduper,
      ...(deps.commands ? { commands: deps.commands } : {}),
      ...(deps.policy ? { policy: deps.policy } : {}),
      ...(deps.stops ? { stops: deps.stops } : {}),
      ...(deps.approvals ? { approvals: deps.approvals } : {}),
      ...(deps.schedules ? { schedules: deps.schedules } : {}),
      ...(deps.files ? { files: { maxBytes: deps.files.policy(deps.tenant).maxBytes } } : {}),
    },
    worker: {
      ...(deps.files ? { files: deps.files } : {}),
      ...(deps.proactive ? { proactive: deps.proactive } : {}),
      runner: deps.runner,
      ...(deps.approvals ? { approvals: deps.approvals } : {}),
      ...(deps.exportTranscript ? { exportTranscript: deps.exportTranscript } : {}),
      ...(deps.usage ? { usage: deps.usage } : {}),
      ...(deps.conversations ? { conversations: deps.conversations } : {}),
      ...(deps.typingIntervalMs !== undefined ? { typingIntervalMs: deps.typingIntervalMs } : {}),
      ...(deps.live ? { live: deps.live } : {}),
    },
  });
  built.worker = tenantBot.worker;
  const { bot } = tenantBot;
  let polling: PollingHandle | undefined;
  return {
    bot,
    queue,
    startPolling() {
      polling = startTelegramPolling(bot, { logger });
      return polling;
    },
    mountWebhook(app, secretToken) {
      return mountTelegramWebhook(app, {
        resolve: (tenant) => (tenant === deps.tenant ? { bot, secretToken } : undefined),
        logger,
      });
    },
    async idle() {
      await consumer.idle?.();
    },
    async stop() {
      await polling?.stop();
      await consumer.stop();
    },
  };
}
