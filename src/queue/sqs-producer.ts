import type { SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../core/errors.js';
import { QueueError } from './errors.js';
import { encodeQueuedMessage, messageDeduplicationId, messageGroupId } from './message.js';
import type { ConversationQueue } from './types.js';

export interface SqsQueueOptions {
  /** A configured client (region, endpoint, credentials are the caller's business). */
  client: SQSClient;
  /** URL of the FIFO queue (name ends in `.fifo`). */
  queueUrl: string;
}

/**
 * Producer side of the SQS FIFO adapter: MessageGroupId = `tenant:chat:thread` (one in flight per
 * conversation), MessageDeduplicationId = hash(tenant, update_id) (Telegram re-deliveries are
 * dropped by SQS within its 5-minute window). The SDK is loaded lazily.
 */
export function createSqsQueue(options: SqsQueueOptions): ConversationQueue {
  return {
    async enqueue(message) {
      const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
      try {
        await options.client.send(
          new SendMessageCommand({
            QueueUrl: options.queueUrl,
            MessageBody: encodeQueuedMessage(message),
            MessageGroupId: messageGroupId(message),
            MessageDeduplicationId: messageDeduplicationId(message),
          }),
        );
      } catch (err) {
        throw new QueueError(`[queue:sqs] could not enqueue: ${errorMessage(err)}`, { cause: err });
      }
    },
  };
}
