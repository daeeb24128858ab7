import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { processInGroups } from './groups.js';
import {
  albumSettleDelay,
  ALBUM_SETTLE_MS,
  coalesce,
  mergeAll,
  type BusyPolicy,
  type Unit,
} from './merge.js';
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
  /** An album's first part waits this long after it was sent for the other parts (`ALBUM_SETTLE_MS`). */
  albumSettleMs?: number;
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

  // Album parts received before their album settled were made visible again to be received with
  // the other parts: that receive counts, but it is still their first delivery to a handler.
  const settling = new Set<string>();
  const settleMs = options.albumSettleMs ?? ALBUM_SETTLE_MS;
  const groupOf = (m: Message): string => m.Attributes?.MessageGroupId ?? m.MessageId ?? '';
  const firstDelivery = (m: Message): boolean => {
    const released = settling.delete(m.MessageId ?? '');
    return receiveCountOf(m) === 1 || released;
  };

  /**
   * Album parts that arrived too early: the conversation's messages of this batch are held until
   * the album settled, then made visible again at once, so the next receive hands them out with
   * the parts that came meanwhile (FIFO keeps the conversation locked while they are in flight).
   */
  const holdUnsettled = (
    pending: Array<{ item: Message; message: ReturnType<typeof decodeOrUndefined>; firstDelivery: boolean }>,
  ) => {
    const now = Date.now();
    const held = new Map<string, { wait: number; messages: Message[] }>();
    for (const p of pending) {
      if (!p.firstDelivery) continue;
      const sent = Number(p.item.Attributes?.SentTimestamp ?? now);
      const wait = albumSettleDelay([{ message: p.message, enqueuedAt: sent }], now, settleMs);
      if (wait > 0)
        held.set(groupOf(p.item), {
          wait: Math.max(wait, held.get(groupOf(p.item))?.wait ?? 0),
          messages: [],
        });
    }
    const ready = pending.filter((p) => {
      const group = held.get(groupOf(p.item));
      group?.messages.push(p.item);
      return !group;
    });
    return { ready, held: [...held.values()] };
  };

  const release = async ({ wait, messages }: { wait: number; messages: Message[] }): Promise<void> => {
    try {
      await new Promise((resolve) => setTimeout(resolve, wait));
      for (const m of messages) {
        if (m.MessageId) settling.add(m.MessageId);
        await setVisibility(m, 0);
      }
    } finally {
      inFlight -= messages.length;
    }
  };

  const processBatch = async (messages: Message[]): Promise<void> => {
    const decoded = messages.map((m) => ({
      item: m,
      message: decodeOrUndefined(m),
      firstDelivery: firstDelivery(m),
    }));
    const { ready, held } = holdUnsettled(decoded);
    const releasing = Promise.all(held.map(release));
    messages = ready.map((p) => p.item);
    const units = coalesce(ready, options.busy ?? mergeAll);
    let started = 0;
    const failed = await processInGroups(
      units,
      (u) => (u.items[0] ? groupOf(u.items[0]) : ''),
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
    await releasing;
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
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId', 'SentTimestamp'],
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
