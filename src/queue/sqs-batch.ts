import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { processInGroups } from './groups.js';
import { decodeQueuedMessage } from './message.js';
import { DEFAULT_MAX_RECEIVES, type QueueHandler } from './types.js';

/** The parts of a Lambda SQS event record we read. */
export interface SqsEventRecord {
  messageId: string;
  body: string;
  attributes: { ApproximateReceiveCount?: string; MessageGroupId?: string };
}

export interface SqsEvent {
  Records: SqsEventRecord[];
}

/** Lambda partial batch response (`ReportBatchItemFailures` must be enabled on the mapping). */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export interface SqsBatchHandlerOptions {
  handler: QueueHandler;
  /** The redrive policy's maxReceiveCount (default 5); handed to the handler. */
  maxReceives?: number;
  logger?: Logger;
}

/**
 * Lambda handler body for an SQS FIFO event source: records of one MessageGroupId run in order,
 * groups concurrently. Once a record fails, it and every later record of the same group are
 * reported in `batchItemFailures` (so they are retried in order); other groups are unaffected.
 * An undecodable body fails (and reaches the DLQ after the redrive policy's receives).
 */
export function createSqsBatchHandler(
  options: SqsBatchHandlerOptions,
): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
  const logger = options.logger ?? silentLogger;
  return async (event) => {
    const failed = await processInGroups(
      event.Records,
      (record) => record.attributes.MessageGroupId ?? record.messageId,
      async (record) => {
        const message = decodeQueuedMessage(record.body);
        const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1') || 1;
        await options.handler(message, { receiveCount, maxReceives });
      },
    );
    for (const { item, error } of failed) {
      logger.warn('queue: sqs record failed', { messageId: item.messageId, error: errorMessage(error) });
    }
    return { batchItemFailures: failed.map(({ item }) => ({ itemIdentifier: item.messageId })) };
  };
}
