import type { SQSClient } from '@aws-sdk/client-sqs';
import { systemClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** Where and when failed records of a Lambda batch become visible again. */
export interface SqsRetryOptions {
  client: SQSClient;
  /** The event source's queue (the worker's `QUEUE_URL`). */
  queueUrl: string;
  /** Seconds until a failed record is received again (default `retryDelaySeconds`: 5, 15, 45, 135 s). */
  delaySeconds?: (receiveCount: number) => number;
  clock?: Clock;
}

/** A record reported failed: its receipt handle and how often it was received. */
export interface FailedRecord {
  messageId: string;
  receiptHandle: string;
  receiveCount: number;
  /** Its last receive (the redrive's maxReceiveCount): visible at once, so the redrive moves it to the DLQ. */
  lastReceive: boolean;
  /** Deferred (the reply outbox): visible again at this time (epoch ms) instead of after a retry delay. */
  visibleAt?: number;
}

/** SQS's longest visibility timeout (12 h). */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** Seconds until `visibleAt`, rounded up: at least 1, at most SQS's 12 h. */
export function secondsUntil(visibleAt: number, now: number): number {
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, Math.ceil((visibleAt - now) / 1000)));
}

/**
 * 5 s after the first failure, then three times longer each time (5, 15, 45, 135 s before the
 * redrive's 2nd–5th receives; at most 15 min). A blip is retried at once, and the five receives
 * span ~3.5 min, so a provider or storage outage of a minute or two does not send every message
 * of it to the DLQ (5 s × receive count would span 50 s; the queue's timeout spanned 6 h).
 */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 5 * 3 ** (Math.max(1, receiveCount) - 1));
}

/** ChangeMessageVisibilityBatch takes at most 10 entries (a FIFO event source's largest batch). */
const BATCH_LIMIT = 10;

/**
 * Sets each failed record's visibility timeout to a short delay, so it is received again soon
 * rather than after the queue's visibility timeout (5,400 s in template.yaml). FIFO order holds:
 * while one message of a group is invisible SQS hands out no later message of that group, and the
 * batch handler reports the rest of a failed group as failed too. A record on its last receive is
 * made visible at once: the next receive finds it past the redrive's maxReceiveCount and moves it
 * to the DLQ (and its alarm) without waiting out a delay. A deferred record (`visibleAt`) becomes
 * visible at that time, capped at 12 h (never on a last receive: `Delivery.defer` excludes it). Never throws: a record whose
 * change failed is logged and comes back after the queue's timeout, as it would have anyway.
 */
export async function showFailedRecordsSoon(
  options: SqsRetryOptions,
  records: readonly FailedRecord[],
  logger: Logger,
): Promise<void> {
  const delay = options.delaySeconds ?? retryDelaySeconds;
  const clock = options.clock ?? systemClock;
  const timeout = (r: FailedRecord): number =>
    r.visibleAt !== undefined
      ? secondsUntil(r.visibleAt, clock.now())
      : r.lastReceive
        ? 0
        : delay(r.receiveCount);
  try {
    const { ChangeMessageVisibilityBatchCommand } = await import('@aws-sdk/client-sqs');
    for (let start = 0; start < records.length; start += BATCH_LIMIT) {
      const chunk = records.slice(start, start + BATCH_LIMIT);
      const out = await options.client
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: chunk.map((r, i) => ({
              Id: `r${start + i}`,
              ReceiptHandle: r.receiptHandle,
              VisibilityTimeout: timeout(r),
            })),
          }),
        )
        .catch((err: unknown) => {
          logger.warn('queue: visibility change failed', {
            messageIds: chunk.map((r) => r.messageId),
            error: errorMessage(err),
          });
          return undefined;
        });
      for (const failed of out?.Failed ?? []) {
        const record = records[Number(failed.Id?.slice(1))];
        logger.warn('queue: visibility change failed', {
          messageId: record?.messageId,
          error: `${failed.Code ?? 'unknown'}: ${failed.Message ?? ''}`,
        });
      }
    }
  } catch (err) {
    logger.warn('queue: visibility change failed', { error: errorMessage(err) });
  }
}
