import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { DeliveryDeferredError } from '../core/delivery-deferred.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { decodeQueuedMessage } from './message.js';
import { showFailedRecordsSoon, type FailedRecord, type SqsRetryOptions } from './sqs-retry.js';
import { DEFAULT_MAX_RECEIVES, type Delivery, type QueueHandler } from './types.js';

/** The parts of a Lambda SQS event record we read. */
export interface SqsEventRecord {
  messageId: string;
  /** Set on every record Lambda delivers; needed to make a failed record visible again soon. */
  receiptHandle?: string;
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
  /**
   * Failed records (and the later records of their groups) are made visible again after a short
   * delay instead of the queue's visibility timeout. Without it they come back after that timeout.
   */
  retry?: SqsRetryOptions;
  logger?: Logger;
}

/**
 * Lambda handler body for an SQS FIFO event source, on Powertools' `SqsFifoPartialProcessorAsync`:
 * records run in order; once a record fails, it and every later record of the same MessageGroupId
 * are reported in `batchItemFailures` (so they are retried in order), while other groups go on
 * (`skipGroupOnError`). An undecodable body fails (and reaches the DLQ after the redrive policy's
 * receives). A batch where every record failed is reported the same way, not thrown, so the
 * response always names exactly the records to retry. With `retry`, every reported record is
 * made visible again after `retry.delaySeconds` (5 s, then 15, 45, 135 s) before the response
 * goes back, so a failed turn is retried within seconds, not after the queue's 5,400 s timeout.
 *
 * Records run one after another, groups included (the FIFO processor never runs them in
 * parallel). That loses nothing today: the worker's event source mapping has `BatchSize: 1`
 * (template.yaml), so every invocation carries one record of one conversation.
 *
 * With `retry`, a handler may defer a record (`Delivery.defer`, the reply outbox): its
 * `DeliveryDeferredError` is logged at info (not a failure), the record reported like a failed
 * one — FIFO keeps the conversation's later messages behind it — and made visible again at the
 * error's `untilMs` instead of after a retry delay.
 */
export function createSqsBatchHandler(
  options: SqsBatchHandlerOptions,
): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
  const logger = options.logger ?? silentLogger;
  const receiveCountOf = (record: SqsEventRecord): number =>
    Number(record.attributes.ApproximateReceiveCount ?? '1') || 1;
  /** Deferring needs a record made visible again at a time, and two receives left (never the DLQ). */
  const deliveryOf = (record: SqsEventRecord): Delivery => {
    const receiveCount = receiveCountOf(record);
    const defer = options.retry !== undefined && receiveCount <= maxReceives - 2;
    return { receiveCount, maxReceives, ...(defer ? { defer: true as const } : {}) };
  };
  const asFailedRecord =
    (deferred: ReadonlyMap<string, number>) =>
    (record: SqsEventRecord): FailedRecord[] => {
      const { messageId, receiptHandle } = record;
      if (!receiptHandle) return [];
      const receiveCount = receiveCountOf(record);
      const visibleAt = deferred.get(messageId);
      return [
        {
          messageId,
          receiptHandle,
          receiveCount,
          lastReceive: receiveCount >= maxReceives,
          ...(visibleAt !== undefined ? { visibleAt } : {}),
        },
      ];
    };
  /** Runs one record; a deferred one is reported failed (its group waits behind it), noted with its time. */
  const handleRecord = (deferred: Map<string, number>) => async (record: SqsEventRecord) => {
    try {
      const message = decodeQueuedMessage(record.body);
      await options.handler(message, deliveryOf(record));
    } catch (err) {
      if (err instanceof DeliveryDeferredError) {
        deferred.set(record.messageId, err.untilMs);
        logger.info('queue: sqs record deferred until its reply can be sent', {
          messageId: record.messageId,
          untilMs: err.untilMs,
        });
      } else {
        logger.warn('queue: sqs record failed', { messageId: record.messageId, error: errorMessage(err) });
      }
      throw err;
    }
  };
  return async (event) => {
    // A processor per invocation: it keeps the batch's state, and calls must not share it.
    const processor = new SqsFifoPartialProcessorAsync();
    const deferred = new Map<string, number>();
    const response = await processPartialResponse(event, handleRecord(deferred), processor, {
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
    if (options.retry && response.batchItemFailures.length > 0) {
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const records = event.Records.filter((r) => failed.has(r.messageId)).flatMap(asFailedRecord(deferred));
      await showFailedRecordsSoon(options.retry, records, logger);
    }
    return response;
  };
}
