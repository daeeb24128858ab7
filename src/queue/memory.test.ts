import { describe, expect, it } from 'vitest';
import { runQueueConformance, queuedMessage } from './conformance.js';
import { createMemoryQueue } from './memory.js';
import { mergeAll, type BusyPolicy } from './merge.js';
import { QueueError } from './errors.js';
import type { QueueHandler, QueuedMessage } from './types.js';

runQueueConformance('memory', async () => {
  let handler: QueueHandler = async () => {
    throw new Error('no consumer yet');
  };
  let busy: BusyPolicy = mergeAll;
  const dead: QueuedMessage[] = [];
  const queue = createMemoryQueue({
    handler: (m, d) => handler(m, d),
    busy: (tenant) => busy(tenant),
    retryDelayMs: () => 5,
    onDeadLetter: (m) => {
      dead.push(m);
    },
  });
  return {
    queue,
    consume(h, options) {
      handler = h;
      busy = options?.busy ?? mergeAll;
      return { stop: async () => {} };
    },
    groupBatches: true,
    deadLetters: async () => dead,
    close: () => queue.stop(),
  };
});

describe('createMemoryQueue', () => {
  it('limits how many conversations run at once', async () => {
    let active = 0;
    let peak = 0;
    const queue = createMemoryQueue({
      concurrency: 2,
      handler: async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setTimeout(resolve, 10));
        active--;
      },
    });
    for (let chat = 1; chat <= 6; chat++) await queue.enqueue(queuedMessage(String(chat), chat));
    await queue.idle();
    expect(peak).toBe(2);
  });

  it('refuses messages after stop', async () => {
    const queue = createMemoryQueue({ handler: async () => {} });
    await queue.stop();
    await expect(queue.enqueue(queuedMessage('1', 1))).rejects.toBeInstanceOf(QueueError);
  });
});
