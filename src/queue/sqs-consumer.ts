import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { processInGroups } from './groups.js';
import { coalesce, mergeAll, type BusyPolicy, type Unit } from './merge.js';
import { decodeQueuedMessage } from './message.js';
import { DEFAULT_MAX_RECEIVES, type QueueConsumer, type QueueHandler } from './types.js';

export interface SqsConsumerOptions {
  client: SQSClient;
  queueUrl: string;
  handler: QueueHandler;
  /** Long-poll wait per ReceiveMessage (default 20 s, the SQS maximum). */
  waitTimeSeconds?: number;
  /** Visibility timeout requested on receive and renewed while a message runs (default 60 s). */
  visibilityTimeoutSeconds?: number;
  /** A failed message (and the rest of its group in the batch) becomes visible again after this (default 5 s). */
  retryDelaySeconds?: number;
  /** Messages per receive (1–10, default 10). */
  maxMessages?: number;
  /** The redrive policy's maxReceiveCount (default 5); handed to the handler. */
  maxReceives?: number;
  /** Messages received but not finished at most (default 10). */
  maxInFlight?: number;
  /** Whether a tenant's agent items received together are merged into one turn (default: every tenant merges). */
  busy?: BusyPolicy;
  logger?: Logger;
}

/**
 * Long-polling SQS FIFO consumer (containers, local with a queue peer): receives batches, runs each
 * conversation's messages in order and conversations concurrently, deletes on success, keeps
 * extending the visibility of a running message, and makes failed ones visible again after
 * `retryDelaySeconds`. Dead-lettering is the queue's redrive policy.
 */
export function createSqsConsumer(options: SqsConsumerOptions): QueueConsumer {
  const logger = options.logger ?? silentLogger;
  const visibility = options.visibilityTimeoutSeconds ?? 60;
  const maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
  const abort = new AbortController();

  const setVisibility = async (message: Message, seconds: number): Promise<void> => {
    const { ChangeMessageVisibilityCommand } = await import('@aws-sdk/client-sqs');
    await options.client
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      )
      .catch((err: unknown) => logger.warn('queue: visibility change failed', { error: errorMessage(err) }));
  };

  const receiveCountOf = (message: Message): number =>
    Number(message.Attributes?.ApproximateReceiveCount ?? '1') || 1;

  /**
   * One handler call for a unit (a message, or agent messages of one conversation merged into one
   * turn): all of them stay invisible while it runs and are deleted once it succeeded.
   */
  const runUnit = async (unit: Unit<Message>): Promise<void> => {
    const { DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
    const first = unit.items[0] as Message;
    // An undecodable body throws here (retried, then dead-lettered by the redrive policy).
    const decoded = unit.message ?? decodeQueuedMessage(first.Body ?? '');
    const receiveCount = Math.max(...unit.items.map(receiveCountOf));
    const heartbeat = setInterval(
      () => unit.items.forEach((m) => void setVisibility(m, visibility)),
      (visibility * 1000) / 2,
    );
    try {
      await options.handler(decoded, { receiveCount, maxReceives });
    } finally {
      clearInterval(heartbeat);
    }
    for (const message of unit.items) {
      await options.client.send(
        new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  };

  const maxInFlight = options.maxInFlight ?? 10;
  const batches = new Set<Promise<void>>();
  let inFlight = 0;

  const decodeOrUndefined = (message: Message) => {
    try {
      return decodeQueuedMessage(message.Body ?? '');
    } catch {
      return undefined;
    }
  };

  const processBatch = async (messages: Message[]): Promise<void> => {
    const units = coalesce(
      messages.map((m) => ({
        item: m,
        message: decodeOrUndefined(m),
        firstDelivery: receiveCountOf(m) === 1,
      })),
      options.busy ?? mergeAll,
    );
    let started = 0;
    const failed = await processInGroups(
      units,
      (u) => u.items[0]?.Attributes?.MessageGroupId ?? u.items[0]?.MessageId ?? '',
      async (u) => {
        started += u.items.length;
        try {
          await runUnit(u);
        } finally {
          inFlight -= u.items.length;
        }
      },
    );
    inFlight -= messages.length - started; // later messages of a failed group never ran
    for (const { item, error } of failed) {
      for (const message of item.items) {
        logger.warn('queue: message failed, will retry', {
          messageId: message.MessageId,
          error: errorMessage(error),
        });
        await setVisibility(message, options.retryDelaySeconds ?? 5);
      }
    }
  };

  const receive = async (max: number): Promise<Message[]> => {
    const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    const out = await options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: options.waitTimeSeconds ?? 20,
        VisibilityTimeout: visibility,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
      }),
      { abortSignal: abort.signal },
    );
    return out.Messages ?? [];
  };

  // Keeps polling while batches run: FIFO group locking guarantees a conversation with a message
  // in flight is not handed out again, so other conversations never wait for a slow turn.
  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      if (inFlight >= maxInFlight) {
        await Promise.race(batches);
        continue;
      }
      let messages: Message[];
      try {
        messages = await receive(Math.min(10, maxInFlight - inFlight));
      } catch (err) {
        if (abort.signal.aborted) break;
        logger.error('queue: receive failed', { error: errorMessage(err) });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (messages.length === 0) continue;
      inFlight += messages.length;
      const batch = processBatch(messages).finally(() => batches.delete(batch));
      batches.add(batch);
    }
    await Promise.all(batches);
  };

  const running = loop();
  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}
