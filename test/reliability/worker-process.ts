/**
 * A queue worker as its own Node process, like a container the crash suite can `kill -9`:
 *
 *   OMNI_WORKER_CONFIG='<json WorkerProcessConfig>' node --import tsx test/reliability/worker-process.ts
 *
 * It builds the real agent runner (real SDK binary, offline model at `modelUrl`) over cloud storage
 * on the peers or SQLite on a shared file, consumes the SQS FIFO queue with `createSqsConsumer`,
 * and replies through the Telegram worker to the (fake) Bot API at `telegramApiRoot`. It prints
 * one JSON event per line on stdout (`ready`, `handle-start`, `append-start`, `append-done`,
 * `turn`, `handle-done`) so the test can kill it at a chosen point. With `waitForGo` it loads everything
 * but consumes only after a `go` line on stdin (a warm spare). SIGTERM stops it gracefully.
 */
import { mkdtemp } from 'node:fs/promises';
import { prepareWorkspace } from '../../src/agent/workspace.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createSqsClient } from '../../src/aws/sqs.js';
import type { UserFromGetMe } from 'grammy/types';
import type { TenantAgent } from '../../src/agent/profile.js';
import { createAgentRunner } from '../../src/agent/runner.js';
import type { AgentRunner } from '../../src/agent/types.js';
import { errorMessage } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';
import { createSqsConsumer } from '../../src/queue/sqs-consumer.js';
import type { Storage, TranscriptStore } from '../../src/sessions/types.js';
import { DEFAULT_TENANT } from '../../src/core/ids.js';
import { createTenantBot } from '../../src/telegram/tenant-bot.js';
import { PEER_CREDENTIALS, PEER_REGION } from '../peers/types.js';
import { PLAIN_PROFILE } from '../support/agent-harness.js';
import { updateIdOf } from '../../src/queue/message.js';

export interface WorkerProcessConfig {
  storage:
    | { kind: 'cloud'; s3Endpoint: string; dynamoEndpoint: string; bucket: string; table: string }
    | { kind: 'sqlite'; file: string };
  sqsEndpoint: string;
  queueUrl: string;
  telegramApiRoot: string;
  token: string;
  botInfo: UserFromGetMe;
  modelUrl: string;
  leaseTtlMs: number;
  leaseWaitMs: number;
  visibilityTimeoutSeconds: number;
  /** Main-transcript appends pause this long before and after reaching the store ("while appending"). */
  appendPauseMs?: number;
  waitForGo?: boolean;
}

export type WorkerEvent =
  | { event: 'ready' }
  | {
      event: 'handle-start' | 'handle-done' | 'handle-failed';
      updateId: number;
      receiveCount: number;
      error?: string;
    }
  | { event: 'append-start' | 'append-done'; entries: number; subpath: string }
  /** A turn the runner returned: `replayed` when it was answered from the turn ledger. */
  | { event: 'turn'; updateId: number; replayed: string | null; errorCode: string | null };

const emit = (event: WorkerEvent): void => void process.stdout.write(`${JSON.stringify(event)}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function openStorage(
  config: WorkerProcessConfig,
): Promise<{ storage: Storage; close(): Promise<void> }> {
  if (config.storage.kind === 'sqlite') {
    const { createSqliteStorage } = await import('../../src/sessions/adapters/sqlite/index.js');
    const storage = createSqliteStorage({ file: config.storage.file });
    return { storage, close: () => storage.close() };
  }
  const { createCloudClients, createCloudStorage } =
    await import('../../src/sessions/adapters/cloud/index.js');
  const clients = createCloudClients({
    region: PEER_REGION,
    s3Endpoint: config.storage.s3Endpoint,
    dynamoEndpoint: config.storage.dynamoEndpoint,
    credentials: PEER_CREDENTIALS,
  });
  const storage = createCloudStorage({
    s3: clients.s3,
    dynamo: clients.dynamo,
    bucket: config.storage.bucket,
    table: config.storage.table,
  });
  return {
    storage,
    close: async () => {
      await storage.close();
      clients.destroy();
    },
  };
}

/** The store the SDK appends through, with events (and a pause) around every main-stream append. */
function observed(store: TranscriptStore, pauseMs: number): TranscriptStore {
  return {
    ...store,
    load: (key) => store.load(key),
    async append(key, entries) {
      const subpath = key.subpath ?? '';
      emit({ event: 'append-start', entries: entries.length, subpath });
      if (pauseMs > 0) await sleep(pauseMs);
      await store.append(key, entries);
      emit({ event: 'append-done', entries: entries.length, subpath });
      if (pauseMs > 0) await sleep(pauseMs);
    },
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env['OMNI_WORKER_CONFIG'] ?? '{}') as WorkerProcessConfig;
  const dir = await mkdtemp(join(tmpdir(), 'omni-worker-'));
  const workspace = await prepareWorkspace(dir);
  const { storage: inner, close } = await openStorage(config);
  const storage: Storage = {
    ...inner,
    transcripts: inner.transcripts,
    conversations: inner.conversations,
    leases: inner.leases,
    transcriptsFor: (lease) => observed(inner.transcriptsFor(lease), config.appendPauseMs ?? 0),
  };
  const agentRunner = createAgentRunner({
    storage,
    tenants: async (): Promise<TenantAgent> => ({ profile: PLAIN_PROFILE, workspace }),
    provider: { kind: 'offline', baseUrl: config.modelUrl },
    models: {},
    limits: { maxRetries: 1, apiTimeoutMs: 20_000, turnTimeoutMs: 90_000, maxTurns: 10 },
    lease: { ttlMs: config.leaseTtlMs, waitMs: config.leaseWaitMs },
    path: process.env['PATH'] ?? '/usr/bin:/bin',
    logger: silentLogger,
  });
  const runner: AgentRunner = {
    ...agentRunner,
    async runTurn(request) {
      const result = await agentRunner.runTurn(request);
      emit({
        event: 'turn',
        updateId: Number(request.requestId?.replace(/^tg:/, '') ?? -1),
        replayed: result.replayed ?? null,
        errorCode: result.error_code,
      });
      return result;
    },
  };
  const { worker } = createTenantBot({
    tenant: DEFAULT_TENANT,
    token: config.token,
    botInfo: config.botInfo,
    apiRoot: config.telegramApiRoot,
    worker: { runner, typingIntervalMs: 1000 },
  });
  const client = createSqsClient({
    endpoint: config.sqsEndpoint,
    region: PEER_REGION,
    credentials: { ...PEER_CREDENTIALS },
  });

  // Like a container losing its host: if the test process dies, stdin closes — take the whole
  // process group (the `claude` children too) down with us instead of lingering as an orphan.
  process.stdin.once('end', () => {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.exit(1);
    }
  });
  process.stdin.resume();
  if (config.waitForGo) {
    emit({ event: 'ready' });
    const lines = createInterface({ input: process.stdin });
    await new Promise<void>((resolve) => lines.on('line', (line) => line.trim() === 'go' && resolve()));
  }
  const consumer = createSqsConsumer({
    client,
    queueUrl: config.queueUrl,
    waitTimeSeconds: 1,
    retryDelaySeconds: 0,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    handler: async (message, delivery) => {
      const base = { updateId: updateIdOf(message) ?? -1, receiveCount: delivery.receiveCount };
      emit({ event: 'handle-start', ...base });
      try {
        await worker(message, delivery);
      } catch (err) {
        emit({ event: 'handle-failed', ...base, error: errorMessage(err) });
        throw err;
      }
      emit({ event: 'handle-done', ...base });
    },
  });
  if (!config.waitForGo) emit({ event: 'ready' });
  process.once('SIGTERM', () => {
    void consumer
      .stop()
      .then(close)
      .finally(() => {
        client.destroy();
        process.exit(0);
      });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`worker-process failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
