import { awsClientOptions } from '../../aws/index.js';
import { createEmfMetrics } from '../../core/metrics.js';
import { createSqsBatchHandler, type SqsBatchResponse, type SqsEvent } from '../../queue/sqs-batch.js';
import { buildDeps } from '../build-deps.js';
import { createTenantWorkers } from '../tenant-workers.js';
import { liveOptionsOf } from '../live-options.js';
import { telegramApprovalsOf } from '../telegram-approvals.js';
import { telegramFilesOf } from '../telegram-files.js';
import { proactiveStoresOf } from '../proactive.js';
import { transcriptExporter } from '../transcript-exporter.js';
import type { AppDeps } from '../types.js';
import { usageReader } from '../usage-reader.js';
import { conversationServiceFor } from '../conversations.js';
import type { LambdaEnv } from './env.js';
import type { SqsRetryOptions } from '../../queue/sqs-retry.js';

export type WorkerHandler = (event: SqsEvent) => Promise<SqsBatchResponse>;

/**
 * The SQS FIFO worker Lambda: one conversation's messages in order, the agent turn through the
 * runner (cloud storage, lease, resume, budgets, usage), the reply by the message's own tenant's
 * bot. Tenants come from OMNICLOUD_TENANTS_FILE (a file inside the image) or the environment.
 * Partial batch failures keep the failed message (and the later ones of its conversation) on the
 * queue, visible again after 5, 15, 45, 135 s (QUEUE_URL names the event source's queue; without
 * it, after the queue's visibility timeout); 5 receives → DLQ. Photos and documents are downloaded
 * into the tenant's S3 file prefix before the turn. Album parts are not held back here (AWS assembles the batches, one record
 * each): each part is its own turn, in order (see `ALBUM_SETTLE_MS` in queue/merge.ts).
 */
export async function buildWorkerHandler(
  lambda: LambdaEnv,
): Promise<{ handler: WorkerHandler; app: AppDeps }> {
  const { env } = lambda;
  const app = await buildDeps(env, {
    rawEnv: lambda.raw,
    secrets: lambda.secrets,
    logBase: { fn: 'worker' },
    metrics: createEmfMetrics({ namespace: env.OMNICLOUD_METRICS_NAMESPACE }),
    quiet: true,
  });
  try {
    const retry = await retryOf(env, app);
    const handler = createSqsBatchHandler({
      ...(retry ? { retry } : {}),
      handler: createTenantWorkers({
        tenants: app.tenants,
        runner: app.runner,
        apiRoot: env.TELEGRAM_API_ROOT,
        exportTranscript: transcriptExporter(app),
        approvals: telegramApprovalsOf(app.storage),
        usage: usageReader(app.usage),
        conversations: conversationServiceFor(app),
        live: liveOptionsOf(env),
        files: telegramFilesOf(app.storage, app.tenants),
        proactive: proactiveStoresOf(app.storage),
        sendBudgets: app.sendBudgets,
        logger: app.logger,
      }),
      logger: app.logger,
    });
    return { handler, app };
  } catch (err) {
    await app.close();
    throw err;
  }
}

/** The SQS client that makes failed records visible again soon (none without QUEUE_URL). */
async function retryOf(env: LambdaEnv['env'], app: AppDeps): Promise<SqsRetryOptions | undefined> {
  if (!env.QUEUE_URL) {
    app.logger.warn(
      'worker: QUEUE_URL unset, a failed message comes back after the queue visibility timeout',
    );
    return undefined;
  }
  const { createSqsClient } = await import('../../aws/sqs.js');
  return { client: createSqsClient(awsClientOptions(env, 'SQS')), queueUrl: env.QUEUE_URL };
}
