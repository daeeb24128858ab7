import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationKey } from '../core/keys.js';
import type { BusyPolicy } from './merge.js';
import type { AgentWork, ConversationQueue, QueueConsumer, QueueHandler, QueuedMessage } from './types.js';
import { updateIdOf } from './message.js';

/**
 * The per-conversation FIFO contract every queue adapter passes: `runQueueConformance` with a
 * harness factory. Each test gets a fresh harness and closes it afterwards.
 */
export interface QueueHarness {
  queue: ConversationQueue;
  /** Start consuming with `handler` (tests call it before enqueuing); `busy` as the adapter's option. */
  consume(handler: QueueHandler, options?: { busy?: BusyPolicy }): QueueConsumer;
  /** Messages that reached the dead-letter destination (DLQ / `onDeadLetter`). */
  deadLetters(): Promise<QueuedMessage[]>;
  close(): Promise<void>;
  /**
   * Whether one receive can hand out several waiting messages of one conversation (SQS FIFO does,
   * up to 10; fauxqs 1.9 returns one per message group per receive, so merging cannot be seen there).
   */
  groupBatches: boolean;
}

export function queuedMessage(chat: string, updateId: number, text = `m${updateId}`): AgentWork {
  return {
    kind: 'agent',
    key: conversationKey({ tenant: 'default', chat, thread: undefined }),
    source: {
      type: 'telegram',
      updateId,
      userId: 42,
      replyTo: { chatId: Number(chat), replyToMessageId: updateId },
    },
    text,
    messageTime: 1_700_000_000_000 + updateId * 1000,
  };
}

/** The prompt of an `agent` item ('' for the other kinds); merged items' prompts joined with `+`. */
export function textOf(message: QueuedMessage): string {
  if (message.kind !== 'agent') return message.kind;
  return [message.text, ...(message.merged ?? []).map((m) => m.text)].join('+');
}

const oneByOne: BusyPolicy = () => 'one-by-one';

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function runQueueConformance(name: string, create: () => Promise<QueueHarness>): void {
  describe(`ConversationQueue conformance: ${name}`, () => {
    let harness: QueueHarness;
    let consumer: QueueConsumer | undefined;
    beforeEach(async () => {
      harness = await create();
    });
    afterEach(async () => {
      await consumer?.stop();
      consumer = undefined;
      await harness.close();
    });

    it('processes one conversation in order, one message at a time', async () => {
      const seen: string[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      consumer = harness.consume(
        async (m) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          seen.push(textOf(m));
          inFlight--;
        },
        { busy: oneByOne },
      );
      for (let i = 1; i <= 5; i++) await harness.queue.enqueue(queuedMessage('100', i));
      await waitFor(() => seen.length === 5);
      expect(seen).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
      expect(maxInFlight).toBe(1);
    });

    it('merges the agent items waiting behind a running one into one next call, in order; commands stay apart', async (ctx) => {
      if (!harness.groupBatches) ctx.skip();
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const calls: string[] = [];
      consumer = harness.consume(async (m) => {
        calls.push(textOf(m));
        if (calls.length === 1) await blocked;
      });
      await harness.queue.enqueue(queuedMessage('300', 1));
      await waitFor(() => calls.length === 1);
      for (let i = 2; i <= 4; i++) await harness.queue.enqueue(queuedMessage('300', i));
      const { key, source } = queuedMessage('300', 5);
      await harness.queue.enqueue({ kind: 'reset', key, source });
      await harness.queue.enqueue(queuedMessage('300', 6));
      release();
      await waitFor(() => calls.includes('m6'));
      expect(calls).toEqual(['m1', 'm2+m3+m4', 'reset', 'm6']);
    });

    it("keeps a tenant's items apart with the one-by-one policy", async () => {
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const calls: string[] = [];
      consumer = harness.consume(
        async (m) => {
          calls.push(textOf(m));
          if (calls.length === 1) await blocked;
        },
        { busy: oneByOne },
      );
      await harness.queue.enqueue(queuedMessage('301', 1));
      await waitFor(() => calls.length === 1);
      for (let i = 2; i <= 3; i++) await harness.queue.enqueue(queuedMessage('301', i));
      release();
      await waitFor(() => calls.length === 3);
      expect(calls).toEqual(['m1', 'm2', 'm3']);
    });

    it('runs different conversations concurrently', async () => {
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const done: string[] = [];
      consumer = harness.consume(async (m) => {
        if (m.key.chat === '1') await blocked;
        done.push(textOf(m));
      });
      await harness.queue.enqueue(queuedMessage('1', 1, 'slow'));
      await harness.queue.enqueue(queuedMessage('2', 2, 'fast'));
      await waitFor(() => done.includes('fast'));
      expect(done).toEqual(['fast']);
      release();
      await waitFor(() => done.length === 2);
    });

    it('drops a re-delivery of the same update', async () => {
      const seen: number[] = [];
      consumer = harness.consume(async (m) => {
        seen.push(updateIdOf(m) ?? -1);
      });
      for (let i = 0; i < 3; i++) await harness.queue.enqueue(queuedMessage('7', 70));
      await harness.queue.enqueue(queuedMessage('7', 71));
      await waitFor(() => seen.includes(71));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).toEqual([70, 71]);
    });

    it('retries a failed message before the later ones of its conversation', async () => {
      const log: string[] = [];
      consumer = harness.consume(async (m, delivery) => {
        log.push(`${textOf(m)}#${delivery.receiveCount}`);
        if (textOf(m) === 'm1' && delivery.receiveCount === 1) throw new Error('transient');
      });
      await harness.queue.enqueue(queuedMessage('9', 1));
      await harness.queue.enqueue(queuedMessage('9', 2));
      await waitFor(() => log.includes('m2#1'));
      expect(log).toEqual(['m1#1', 'm1#2', 'm2#1']);
    });

    it('dead-letters a message after 5 failed receives and goes on', async () => {
      const receives: number[] = [];
      const done: string[] = [];
      consumer = harness.consume(async (m, delivery) => {
        if (textOf(m) === 'poison') {
          receives.push(delivery.receiveCount);
          expect(delivery.maxReceives).toBe(5);
          throw new Error('always fails');
        }
        done.push(textOf(m));
      });
      await harness.queue.enqueue(queuedMessage('5', 1, 'poison'));
      await harness.queue.enqueue(queuedMessage('5', 2, 'after'));
      await waitFor(() => done.includes('after'));
      expect(receives).toEqual([1, 2, 3, 4, 5]);
      let dead: QueuedMessage[] = [];
      await waitFor(async () => (dead = await harness.deadLetters()).length > 0);
      expect(dead.map((m) => textOf(m))).toEqual(['poison']);
    });
  });
}
