import { parseTenantId } from '../../core/ids.js';
import { createLogger } from '../../core/logger.js';
import { createSqsBatchHandler, type SqsBatchResponse, type SqsEvent } from '../../queue/sqs-batch.js';
import { createTelegramBot } from '../../telegram/bot.js';
import { createTelegramWorker } from '../../telegram/worker.js';
import { ConfigError } from '../../core/errors.js';
import { buildDeps } from '../build-deps.js';
import { transcriptExporter } from '../transcript-exporter.js';
import type { AppDeps } from '../types.js';
import type { LambdaEnv } from './env.js';

export type WorkerHandler = (event: SqsEvent) => Promise<SqsBatchResponse>;

/**
 * The SQS FIFO worker Lambda: one conversation's messages in order, the agent turn through the
 * runner (cloud storage, lease, resume), the reply on Telegram. Partial batch failures keep the
 * failed message (and the later ones of its conversation) on the queue; 5 receives → DLQ.
 */
export async function buildWorkerHandler(
  lambda: LambdaEnv,
): Promise<{ handler: WorkerHandler; app: AppDeps }> {
  const { env } = lambda;
  if (!env.TELEGRAM_BOT_TOKEN) {
    throw new ConfigError([
      { file: 'environment', field: 'TELEGRAM_BOT_TOKEN', message: 'required by the worker' },
    ]);
  }
  const logger = createLogger({
    level: env.OMNICLOUD_LOG_LEVEL ?? 'info',
    secrets: lambda.secrets,
    base: { fn: 'worker' },
  });
  const app = await buildDeps(env, { rawEnv: lambda.raw, logger, quiet: true });
  parseTenantId(env.OMNICLOUD_TENANT);
  const bot = createTelegramBot({ token: env.TELEGRAM_BOT_TOKEN, apiRoot: env.TELEGRAM_API_ROOT, logger });
  const handler = createSqsBatchHandler({
    handler: createTelegramWorker({
      api: bot.api,
      runner: app.runner,
      exportTranscript: transcriptExporter(app),
      logger,
    }),
    logger,
  });
  return { handler, app };
}
