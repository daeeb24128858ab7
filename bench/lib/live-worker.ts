/**
 * The second process of `bench/live.ts`'s stop figure: a long-running queue worker, as a container
 * would run it — `buildDeps` from the environment it is given (cloud storage on the peers, warm
 * pool on, the offline model behind `ANTHROPIC_BASE_URL`), every tenant's Telegram worker
 * (`createTenantWorkers`, live replies from `TELEGRAM_LIVE_*`) behind the long-polling SQS FIFO
 * consumer on `QUEUE_URL`. Prints one JSON line per event on stdout: `{"event":"ready"}`, then per
 * queue message `{"event":"received","at":<Date.now()>}` when the handler gets it,
 * `{"event":"turn_call",…}` when the worker calls `runTurn` (its files are stored by then),
 * `{"event":"turn_started",…}` when the turn holds the conversation and is about to ask the agent,
 * `{"event":"turn","at":…,"requestId":…,"errorCode":…}` as `runTurn` resolves and
 * `{"event":"handled",…}` when the queue message is done (final answer sent, status tidied). Times
 * are the machine's wall clock, shared with the parent. Ends on SIGTERM or when stdin closes.
 *
 *   node --import tsx bench/lib/live-worker.ts   (environment: as for `omnicloud`, plus QUEUE_URL)
 */
import { createSqsClient } from '../../src/aws/sqs.js';
import { awsClientOptions } from '../../src/aws/config.js';
import type { AgentRunner } from '../../src/agent/types.js';
import { buildDeps, prewarmTenants } from '../../src/app/build-deps.js';
import { liveOptionsOf } from '../../src/app/live-options.js';
import { telegramFilesOf } from '../../src/app/telegram-files.js';
import { createTenantWorkers } from '../../src/app/tenant-workers.js';
import { parseEnv } from '../../src/config/env.js';
import { errorMessage } from '../../src/core/errors.js';
import { createSqsConsumer } from '../../src/queue/sqs-consumer.js';
import { updateIdOf } from '../../src/queue/message.js';

const emit = (event: Record<string, unknown>): void =>
  void process.stdout.write(`${JSON.stringify(event)}\n`);

async function main(): Promise<void> {
  const raw = { ...process.env };
  const env = parseEnv(raw);
  if (!env.QUEUE_URL) throw new Error('[bench:live-worker] QUEUE_URL is required');
  const app = await buildDeps(env, { rawEnv: raw, quiet: true });
  prewarmTenants(app);
  const runner: AgentRunner = {
    ...app.runner,
    async runTurn(request) {
      emit({ event: 'turn_call', at: Date.now(), requestId: request.requestId });
      const onEvent = request.onEvent;
      const result = await app.runner.runTurn({
        ...request,
        onEvent: (event) => {
          if (event.type === 'turn_started') emit({ event: 'turn_started', at: Date.now() });
          onEvent?.(event);
        },
      });
      emit({ event: 'turn', at: Date.now(), requestId: request.requestId, errorCode: result.error_code });
      return result;
    },
  };
  const workers = createTenantWorkers({
    tenants: app.tenants,
    runner,
    apiRoot: env.TELEGRAM_API_ROOT,
    live: liveOptionsOf(env),
    files: telegramFilesOf(app.storage, app.tenants),
    logger: app.logger,
  });
  const client = createSqsClient(awsClientOptions(env, 'SQS'));
  const consumer = createSqsConsumer({
    client,
    queueUrl: env.QUEUE_URL,
    waitTimeSeconds: 1,
    retryDelaySeconds: 0,
    handler: async (message, delivery) => {
      emit({ event: 'received', at: Date.now(), updateId: updateIdOf(message) });
      await workers(message, delivery);
      emit({ event: 'handled', at: Date.now(), updateId: updateIdOf(message) });
    },
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void consumer
      .stop()
      .then(() => app.close())
      .finally(() => {
        client.destroy();
        emit({ event: 'stopped', warm: app.warm.stats() });
        process.exit(0);
      });
  };
  process.once('SIGTERM', stop);
  process.stdin.once('end', stop); // the bench died: do not linger
  process.stdin.resume();
  emit({ event: 'ready' });
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:live-worker] failed: ${errorMessage(err)}\n`);
  process.exit(1);
});
