import { systemClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { QueueError } from './errors.js';
import { albumSettleDelay, ALBUM_SETTLE_MS, coalesce, mergeAll, type BusyPolicy } from './merge.js';
import {
  decodeQueuedMessage,
  encodeQueuedMessage,
  messageDeduplicationId,
  messageGroupId,
} from './message.js';
import {
  DEFAULT_MAX_RECEIVES,
  type ConversationQueue,
  type DeadLetterHandler,
  type QueueConsumer,
  type QueueHandler,
  type QueuedMessage,
} from './types.js';

export interface MemoryQueueOptions {
  handler: QueueHandler;
  /** Failed receives before a message is dead-lettered (default 5, like the SQS redrive policy). */
  maxReceives?: number;
  /** Delay before retrying a failed message (default 1 s × receive count, at most 30 s). */
  retryDelayMs?: (receiveCount: number) => number;
  /** Same (tenant, update_id) enqueued again within this window is dropped (default 5 min, like SQS). */
  dedupeWindowMs?: number;
  /** Conversations processed at the same time (default 4; each runs one message at a time). */
  concurrency?: number;
  onDeadLetter?: DeadLetterHandler;
  /** Whether a tenant's waiting agent items are merged into one turn (default: every tenant merges). */
  busy?: BusyPolicy;
  /** An album's first part waits this long after it was enqueued for the other parts (`ALBUM_SETTLE_MS`). */
  albumSettleMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The in-process per-conversation FIFO (local mode): same semantics as the SQS FIFO adapter. */
export interface MemoryQueue extends ConversationQueue, QueueConsumer {
  /** Resolves when every conversation lane is empty (tests, graceful shutdown). */
  idle(): Promise<void>;
}

interface Lane {
  items: Array<{ message: QueuedMessage; enqueuedAt: number }>;
  running: Promise<void>;
}

export function createMemoryQueue(options: MemoryQueueOptions): MemoryQueue {
  const maxReceives = options.maxReceives ?? DEFAULT_MAX_RECEIVES;
  const retryDelayMs = options.retryDelayMs ?? ((n: number) => Math.min(30_000, 1000 * n));
  const dedupeWindowMs = options.dedupeWindowMs ?? 5 * 60_000;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const lanes = new Map<string, Lane>();
  const seen = new Map<string, number>();
  const stopping = new AbortController();
  const slots = createSemaphore(options.concurrency ?? 4);
  const busy = options.busy ?? mergeAll;
  const settleMs = options.albumSettleMs ?? ALBUM_SETTLE_MS;

  const isDuplicate = (message: QueuedMessage): boolean => {
    const now = clock.now();
    for (const [id, at] of seen) {
      if (now - at < dedupeWindowMs) break; // insertion order = time order
      seen.delete(id);
    }
    const id = messageDeduplicationId(message);
    if (seen.has(id)) return true;
    seen.set(id, now);
    return false;
  };

  const deliver = async (message: QueuedMessage): Promise<void> => {
    for (let receiveCount = 1; ; receiveCount++) {
      const delivery = { receiveCount, maxReceives };
      try {
        await slots.run(() => options.handler(message, delivery));
        return;
      } catch (err) {
        if (receiveCount >= maxReceives) {
          logger.error('queue: message dead-lettered', {
            group: messageGroupId(message),
            kind: message.kind,
            error: errorMessage(err),
          });
          await options.onDeadLetter?.(message, err, delivery);
          return;
        }
        logger.warn('queue: message failed, will retry', {
          group: messageGroupId(message),
          receiveCount,
          error: errorMessage(err),
        });
        if (!(await sleep(retryDelayMs(receiveCount), stopping.signal))) return;
      }
    }
  };

  const drain = async (group: string, lane: Lane): Promise<void> => {
    while (lane.items.length > 0 && !stopping.signal.aborted) {
      // An album's parts arrive as separate updates: let the others catch up with the first.
      const settle = albumSettleDelay(lane.items, clock.now(), settleMs);
      if (settle > 0) {
        if (!(await sleep(settle, stopping.signal))) break;
        continue;
      }
      // The items waiting now (a retry keeps its unit: it is redelivered as the same message).
      const pending = lane.items.map((item) => ({ item, message: item.message, firstDelivery: true }));
      const [unit] = coalesce(pending, busy);
      if (!unit?.message) break;
      try {
        await deliver(unit.message);
      } catch (err) {
        logger.error('queue: dead-letter callback failed', { error: errorMessage(err) });
      }
      lane.items.splice(0, unit.items.length);
    }
    lanes.delete(group);
  };

  return {
    async enqueue(item) {
      if (stopping.signal.aborted) throw new QueueError('[queue:memory] the queue is stopped');
      // Through the wire format, like the SQS adapter: what fails to decode there fails here too,
      // and the handler gets a decoded copy (never the producer's object).
      const message = decodeQueuedMessage(encodeQueuedMessage(item));
      if (isDuplicate(message)) return;
      const group = messageGroupId(message);
      const lane = lanes.get(group);
      const entry = { message, enqueuedAt: clock.now() };
      if (lane) {
        lane.items.push(entry);
        return;
      }
      const fresh: Lane = { items: [entry], running: Promise.resolve() };
      lanes.set(group, fresh);
      fresh.running = drain(group, fresh);
    },
    async idle() {
      while (lanes.size > 0) await Promise.all([...lanes.values()].map((l) => l.running));
    },
    async stop() {
      stopping.abort();
      await Promise.all([...lanes.values()].map((l) => l.running));
    },
  };
}

/** Sleep unless aborted; resolves false when aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function createSemaphore(limit: number): { run<T>(fn: () => Promise<T>): Promise<T> } {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    async run(fn) {
      if (active < limit) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    },
  };
}
