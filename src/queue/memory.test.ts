import { describe, expect, it } from 'vitest';
import { runQueueConformance, queuedMessage } from './conformance.js';
import { createMemoryQueue } from './memory.js';
import { mergeAll, type BusyPolicy } from './merge.js';
import { QueueError } from './errors.js';
import type { AgentWork, QueueHandler, QueuedMessage } from './types.js';
import { updateIdOf } from './message.js';

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

describe('createMemoryQueue: albums', () => {
  const part = (updateId: number, n: number): QueuedMessage => ({
    ...(queuedMessage('1', updateId, n === 1 ? 'look' : '') as AgentWork),
    attachments: [{ kind: 'photo', fileId: `f${n}`, fileUniqueId: `u${n}`, messageId: 100 + n }],
    mediaGroupId: 'album-1',
  });

  it('holds an album’s first part for the settle window so later parts join its turn', async () => {
    const seen: QueuedMessage[] = [];
    const queue = createMemoryQueue({
      handler: async (m) => void seen.push(m),
      busy: () => 'one-by-one',
      albumSettleMs: 300,
    });
    const started = Date.now();
    await queue.enqueue(part(12, 2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await queue.enqueue(part(11, 1));
    await queue.enqueue(part(13, 3));
    await queue.idle();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(seen).toHaveLength(1);
    const turn = seen[0] as AgentWork;
    expect([turn, ...(turn.merged ?? [])].map((m) => m.attachments?.[0]?.fileId)).toEqual(['f1', 'f2', 'f3']);
  });

  it('makes a part arriving after its album’s turn started the next turn; plain text never waits', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = createMemoryQueue({
      handler: async (m) => {
        seen.push(String(updateIdOf(m)));
        if (updateIdOf(m) === 21) await gate;
      },
      busy: () => 'one-by-one',
      albumSettleMs: 50,
    });
    const started = Date.now();
    await queue.enqueue(queuedMessage('2', 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['1']);
    expect(Date.now() - started).toBeLessThan(50);
    await queue.enqueue(part(21, 1));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen).toEqual(['1', '21']); // the album's turn runs…
    await queue.enqueue(part(22, 2)); // …when its late part arrives
    release();
    await queue.idle();
    expect(seen).toEqual(['1', '21', '22']);
  });
});
