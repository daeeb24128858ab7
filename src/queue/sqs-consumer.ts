import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { createFairSlots, DEFAULT_TENANT_SHARE, fairOrder, tenantCapOf } from './fair-slots.js';
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
  /** Visibility timeout a received message gets once it reached us, renewed while it runs (default 60 s). */
  visibilityTimeoutSeconds?: number;
  /**
   * Visibility timeout asked for on receive (default 10 s, at most `visibilityTimeoutSeconds`):
   * the longest a message stays hidden when the receive's response is lost on the way. A message
   * still held when a quarter of it has passed is extended to `visibilityTimeoutSeconds`.
   */
  receiveVisibilitySeconds?: number;
  /** A failed message (and the rest of its group in the batch) becomes visible again after this (default 5 s). */
  retryDelaySeconds?: number;
  /** Messages per receive (1–10, default 10). */
  maxMessages?: number;
  /** The redrive policy's maxReceiveCount (default 5); handed to the handler. */
  maxReceives?: number;
  /** Handler calls running at once (default 10): a slot is held only while a unit's handler runs. */
  maxInFlight?: number;
  /**
   * Messages received beyond `maxInFlight` that may wait, invisible, for a slot or behind their
   * conversation's earlier message (default `max(1, floor(maxInFlight / 2))`): the consumer
   * receives only while received-and-not-done < `maxInFlight + lookAhead`. It is also what lets
   * the consumer see another tenant's work while one tenant's messages fill the slots.
   */
  lookAhead?: number;
  /**
   * Fair share (0–1, default 0.5; 1 = off): while another tenant's unit waits for a slot, a tenant
   * already running `ceil(maxInFlight × tenantShare)` units gets no further slot. Work conserving:
   * with nobody else waiting a tenant may use every slot. The tenant is the message's `key.tenant`.
   */
  tenantShare?: number;
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
 *
 * Slots (`maxInFlight`) count running handler calls only; messages received together wait,
 * invisible, outside the slots (behind their conversation's earlier message, or for a slot —
 * shared fairly between tenants, `fair-slots.ts`), and the consumer receives again as soon as any
 * unit is done while fewer than `maxInFlight + lookAhead` messages are held. A capped tenant's
 * message is never handed back to the queue to make room: every receive counts towards the
 * redrive's `maxReceiveCount`.
 *
 * A receive whose response is lost (SQS handed the messages out, we never saw them) must not hide
 * them for minutes: each receive call carries a fresh `ReceiveRequestAttemptId`, which the SDK's
 * retry re-sends, and real SQS FIFO answers that retry with the same messages (within 5 min). Peers
 * that ignore it (fauxqs, moto) — and a lost retry too — are bounded by the short visibility the
 * receive asks for (`receiveVisibilitySeconds`); a message of a batch still held when a quarter of
 * that has passed — waiting messages included — is extended to the full visibility and kept
 * invisible until it is done.
 */
export function createSqsConsumer(options: SqsConsumerOptions): QueueConsumer {
  const logger = options.logger ?? silentLogger;
  const visibility = options.visibilityTimeoutSeconds ?? 60;
  const receiveVisibility = Math.min(visibility, options.receiveVisibilitySeconds ?? 10);
  const maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
  const maxInFlight = options.maxInFlight ?? 10;
  const capacity = maxInFlight + (options.lookAhead ?? Math.max(1, Math.floor(maxInFlight / 2)));
  const slots = createFairSlots(
    maxInFlight,
    tenantCapOf(maxInFlight, options.tenantShare ?? DEFAULT_TENANT_SHARE),
  );
  const abort = new AbortController();

  /** Whether the change was made (a failure is logged: the next heartbeat tries again). */
  const setVisibility = async (message: Message, seconds: number): Promise<boolean> => {
    const { ChangeMessageVisibilityCommand } = await import('@aws-sdk/client-sqs');
    return options.client
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      )
      .then(
        () => true,
        (err: unknown) => {
          logger.warn('queue: visibility change failed', { error: errorMessage(err) });
          return false;
        },
      );
  };

  /**
   * Keeps a batch's messages invisible from the moment they arrive until each is deleted or handed
   * back. They were received with the short visibility: one still held when a quarter of it has
   * passed (waiting behind its conversation's earlier message, or running long) is extended to the
   * full visibility, then again every half visibility. A message done before that costs no call,
   * and most are: extending every message on arrival was one more request per message, which cost
   * the ingress benchmark its SQS p99 (docs/benchmarks.md §3). Ticks come every eighth of the
   * receive visibility, so a failed or slow extension is tried again several times before the
   * short visibility runs out.
   */
  const keepInvisible = (messages: Message[]) => {
    const tickMs = (receiveVisibility * 1000) / 8;
    const firstDue = Date.now() + 2 * tickMs;
    /** When each message's next extension is due (Infinity: one is under way). */
    const dueAt = new Map<Message, number>(messages.map((m) => [m, firstDue]));
    const extend = (): void => {
      const now = Date.now();
      for (const [m, due] of dueAt) {
        if (now < due - tickMs / 2) continue; // a timer may fire a little before its time
        dueAt.set(m, Infinity); // no second call while one is under way
        void setVisibility(m, visibility).then((ok) => {
          if (dueAt.has(m)) dueAt.set(m, ok ? now + (visibility * 1000) / 2 : -Infinity);
        });
      }
    };
    const timer = setInterval(extend, tickMs);
    return {
      /** Done with these (deleted, or about to be handed back): no more extensions. */
      forget: (done: readonly Message[]) => done.forEach((m) => dueAt.delete(m)),
      stop: () => clearInterval(timer),
    };
  };

  const receiveCountOf = (message: Message): number =>
    Number(message.Attributes?.ApproximateReceiveCount ?? '1') || 1;

  /**
   * One handler call for a unit (a message, or agent messages of one conversation merged into one
   * turn): all of them stay invisible while it runs and are deleted once it succeeded.
   */
  const runUnit = async (unit: Unit<Message>): Promise<void> => {
    const first = unit.items[0] as Message;
    // An undecodable body throws here (retried, then dead-lettered by the redrive policy).
    const decoded = unit.message ?? decodeQueuedMessage(first.Body ?? '');
    const receiveCount = Math.max(...unit.items.map(receiveCountOf));
    // The slot is asked for at once (no await before it), so a unit is waiting in the pool from
    // the moment its batch arrived; it is held for the handler only, not for the deletes.
    await slots.run(decoded.key.tenant, () => options.handler(decoded, { receiveCount, maxReceives }));
    const { DeleteMessageCommand } = await import('@aws-sdk/client-sqs');
    for (const message of unit.items) {
      await options.client.send(
        new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    }
  };

  const batches = new Set<Promise<void>>();
  /** Received and not yet deleted or handed back (running, waiting for a slot, or settling). */
  let held = 0;
  let wake: () => void = () => undefined;
  /** Messages are done with: the loop may receive again at once. */
  const done = (count: number): void => {
    held -= count;
    if (count > 0) wake();
  };

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
  const unitGroup = (u: Unit<Message>): string => (u.items[0] ? groupOf(u.items[0]) : '');
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
      done(messages.length);
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
    const units = fairOrder(
      coalesce(ready, options.busy ?? mergeAll),
      unitGroup,
      (u) => u.message?.key.tenant ?? '',
      slots.running,
    );
    const invisible = keepInvisible(messages);
    let started = 0;
    let failed: Awaited<ReturnType<typeof processInGroups<Unit<Message>>>>;
    try {
      failed = await processInGroups(units, unitGroup, async (u) => {
        started += u.items.length;
        try {
          await runUnit(u);
          invisible.forget(u.items);
        } finally {
          done(u.items.length);
        }
      });
    } finally {
      invisible.stop();
    }
    done(messages.length - started); // later messages of a failed group never ran
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
        VisibilityTimeout: receiveVisibility,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId', 'SentTimestamp'],
        // Fresh per call; the SDK's retries of this call re-send it (real SQS FIFO: same messages).
        ReceiveRequestAttemptId: randomUUID(),
      }),
      { abortSignal: abort.signal },
    );
    return out.Messages ?? [];
  };

  // Keeps polling while batches run: FIFO group locking guarantees a conversation with a message
  // in flight is not handed out again, so other conversations never wait for a slow turn. When
  // the consumer holds all it may, it waits for any unit (not a whole batch) to be done.
  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      if (held >= capacity) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      let messages: Message[];
      try {
        messages = await receive(Math.min(10, capacity - held));
      } catch (err) {
        if (abort.signal.aborted) break;
        logger.error('queue: receive failed', { error: errorMessage(err) });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      if (messages.length === 0) continue;
      held += messages.length;
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
