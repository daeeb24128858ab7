import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs, type FauxqsPeer } from '../../test/peers/fauxqs.js';
import { queueDepth } from '../../test/peers/queue-depth.js';
import { startFaultProxy, type FaultProxy } from '../../test/reliability/support/fault-proxy.js';
import { createSqsClient } from '../aws/sqs.js';
import { createLogger } from '../core/logger.js';
import { queuedMessage } from './conformance.js';
import { encodeQueuedMessage, messageGroupId, updateIdOf } from './message.js';
import { createSqsConsumer } from './sqs-consumer.js';
import { createSqsQueue } from './sqs-producer.js';

/**
 * A receive whose response is lost (SQS handed the message out, the consumer never saw it): the
 * message must come back within the short visibility the receive asked for, not the full one, and
 * run once. fauxqs 1.9.2 behind the fault proxy; it ignores `ReceiveRequestAttemptId` (real SQS
 * FIFO would answer the retry with the same message at once), so this is the peers' bound.
 */
let peer: FauxqsPeer;
let direct: SQSClient;
let proxy: FaultProxy;
let proxied: SQSClient;
let counter = 0;

beforeAll(async () => {
  peer = await startFauxqs();
  direct = new SQSClient({ endpoint: peer.endpoint, region: peer.region, credentials: peer.credentials });
  proxy = await startFaultProxy({ target: peer.endpoint });
  proxied = createSqsClient({
    endpoint: proxy.url,
    region: peer.region,
    credentials: peer.credentials,
    retry: { maxAttempts: 4 },
  });
});
afterAll(async () => {
  proxied?.destroy();
  direct?.destroy();
  await proxy?.close();
  await peer?.stop();
});

/** A FIFO queue whose own visibility is long (30 s): only the consumer's receive visibility counts. */
function fifoQueue(): string {
  counter++;
  return peer.createQueue(`lost-receive-${counter}.fifo`, { VisibilityTimeout: '30' });
}

async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('SQS consumer: a receive whose response was lost', () => {
  it('the message comes back within the receive visibility and runs once', async () => {
    const queueUrl = fifoQueue();
    await createSqsQueue({ client: direct, queueUrl }).enqueue(queuedMessage('7', 70));
    // Lose the response of the first receive that carries a message (the one just sent).
    proxy.resetStats();
    const receives: Array<{ attempt: number; attemptId: unknown }> = [];
    let lost = false;
    proxy.setDecide((r) => {
      if (r.operation !== 'ReceiveMessage') return undefined;
      const body = JSON.parse(r.body.toString('utf8')) as { ReceiveRequestAttemptId?: unknown };
      receives.push({ attempt: r.attempt, attemptId: body.ReceiveRequestAttemptId });
      if (lost) return undefined;
      lost = true;
      return { kind: 'lost-response' };
    });
    const handled: Array<{ id: number; at: number; receiveCount: number }> = [];
    const receiveVisibilitySeconds = 3;
    const started = Date.now();
    const consumer = createSqsConsumer({
      client: proxied,
      queueUrl,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
      receiveVisibilitySeconds,
      handler: async (m, delivery) => {
        handled.push({ id: updateIdOf(m) ?? -1, at: Date.now(), receiveCount: delivery.receiveCount });
      },
    });
    try {
      await waitUntil(() => handled.length > 0, 30_000);
      await new Promise((r) => setTimeout(r, 1500)); // a second run would show up here
    } finally {
      await consumer.stop();
      proxy.setDecide(() => undefined);
    }
    expect(proxy.stats.faults['lost-response']).toBe(1);
    // The loss is in the fault log with the message it hid (its group and body).
    const [fault] = proxy.stats.faultLog;
    expect(fault).toMatchObject({ operation: 'ReceiveMessage', kind: 'lost-response' });
    expect(fault?.keys).toContain('group:default:7:main');
    expect(fault?.keys.some((k) => k.startsWith('body:') && k.includes('m70'))).toBe(true);
    // Once: the message that came back is the only run, on its second receive.
    expect(handled.map((h) => h.id)).toEqual([70]);
    expect(handled[0]?.receiveCount).toBe(2);
    // Bounded by the receive visibility, not the full 30 s (generous slack for a busy machine).
    expect((handled[0]?.at ?? Infinity) - started).toBeLessThan((receiveVisibilitySeconds + 10) * 1000);
    // Every receive carried an attempt id, and the SDK's retry of the lost one re-sent the same id.
    expect(receives.every((r) => typeof r.attemptId === 'string')).toBe(true);
    const retry = receives.find((r) => r.attempt === 2);
    expect(retry?.attemptId).toBe(receives[0]?.attemptId);
  });

  it('a message that runs longer than the receive visibility stays invisible: it runs once', async () => {
    const queueUrl = fifoQueue();
    await createSqsQueue({ client: direct, queueUrl }).enqueue(queuedMessage('8', 80));
    proxy.resetStats();
    proxy.setDecide(() => undefined);
    const runs: number[] = [];
    const consumer = createSqsConsumer({
      client: proxied,
      queueUrl,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
      receiveVisibilitySeconds: 1,
      handler: async (m) => {
        runs.push(updateIdOf(m) ?? -1);
        await new Promise((r) => setTimeout(r, 3500)); // 3.5 × the receive visibility
      },
    });
    try {
      await waitUntil(() => runs.length > 0, 20_000);
      await new Promise((r) => setTimeout(r, 5000));
    } finally {
      await consumer.stop();
    }
    expect(runs).toEqual([80]);
    expect(await queueDepth(direct, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('a lost send, visibility change or delete response is harmless: once, nothing left, no retry', async () => {
    const queueUrl = fifoQueue();
    proxy.resetStats();
    const lose = new Set(['SendMessage', 'ChangeMessageVisibility', 'DeleteMessage']);
    proxy.setDecide((r) => (lose.delete(r.operation) ? { kind: 'lost-response' } : undefined));
    // Through the proxy: the SDK's retry of the send carries the same deduplication id.
    await createSqsQueue({ client: proxied, queueUrl }).enqueue(queuedMessage('9', 90));
    const runs: number[] = [];
    const lines: string[] = [];
    const consumer = createSqsConsumer({
      client: proxied,
      queueUrl,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
      receiveVisibilitySeconds: 3,
      logger: createLogger({ level: 'warn', write: (line) => lines.push(line) }),
      handler: async (m) => {
        runs.push(updateIdOf(m) ?? -1);
        // Past a quarter of the receive visibility (0.75 s): only then is the message extended.
        await new Promise((r) => setTimeout(r, 2500));
      },
    });
    try {
      await waitUntil(() => runs.length > 0, 20_000);
      await new Promise((r) => setTimeout(r, 5000)); // past the receive visibility: a re-delivery shows
    } finally {
      await consumer.stop();
      proxy.setDecide(() => undefined);
    }
    expect(proxy.stats.faults['lost-response']).toBe(3);
    expect(proxy.stats.operations.ChangeMessageVisibility).toBeGreaterThanOrEqual(1);
    expect(runs).toEqual([90]);
    expect(lines.filter((l) => l.includes('will retry'))).toEqual([]);
    expect(await queueDepth(direct, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });
});

describe('SQS consumer: visibility extensions', () => {
  it('messages done within a quarter of the receive visibility cost no visibility change', async () => {
    const queueUrl = fifoQueue();
    const producer = createSqsQueue({ client: direct, queueUrl });
    for (let i = 0; i < 6; i++) await producer.enqueue(queuedMessage(String(20 + (i % 3)), 200 + i));
    proxy.resetStats();
    proxy.setDecide(() => undefined);
    const runs: number[] = [];
    const consumer = createSqsConsumer({
      client: proxied,
      queueUrl,
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
      receiveVisibilitySeconds: 4,
      handler: async (m) => {
        runs.push(updateIdOf(m) ?? -1);
      },
    });
    try {
      await waitUntil(() => runs.length >= 6, 20_000);
      await new Promise((r) => setTimeout(r, 4500)); // past the receive visibility: a late tick shows
    } finally {
      await consumer.stop();
    }
    expect([...runs].sort()).toEqual([200, 201, 202, 203, 204, 205]);
    expect(proxy.stats.operations.ChangeMessageVisibility ?? 0).toBe(0);
    expect(proxy.stats.operations.DeleteMessage).toBe(6);
    expect(await queueDepth(direct, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  });

  it("a message waiting behind its conversation's earlier one is extended before its receive visibility runs out", async () => {
    // fauxqs hands out one message per group at a time, so a batch with two of one conversation
    // (which real SQS FIFO returns) comes from a stub client.
    const first = queuedMessage('30', 300);
    const second = queuedMessage('30', 301);
    const group = messageGroupId(first);
    const received: Message[] = [first, second].map((m, i) => ({
      MessageId: `id-${i}`,
      ReceiptHandle: `handle-${i}`,
      Body: encodeQueuedMessage(m),
      Attributes: { ApproximateReceiveCount: '1', MessageGroupId: group, SentTimestamp: '0' },
    }));
    const calls: Array<{ at: number; command: string; handle?: string; seconds?: number }> = [];
    let handedOut = false;
    const stub = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name;
        const input = command.input as { ReceiptHandle?: string; VisibilityTimeout?: number };
        calls.push({
          at: Date.now(),
          command: name,
          handle: input.ReceiptHandle,
          seconds: input.VisibilityTimeout,
        });
        if (name === 'ReceiveMessageCommand') {
          if (handedOut) {
            await new Promise((r) => setTimeout(r, 50));
            return { Messages: [] };
          }
          handedOut = true;
          return { Messages: received };
        }
        return {};
      },
    } as unknown as SQSClient;
    const runs: number[] = [];
    const started = Date.now();
    const consumer = createSqsConsumer({
      client: stub,
      queueUrl: 'stub.fifo',
      waitTimeSeconds: 1,
      visibilityTimeoutSeconds: 30,
      receiveVisibilitySeconds: 2,
      busy: () => 'one-by-one', // the second waits for the first instead of joining its turn
      handler: async (m) => {
        runs.push(updateIdOf(m) ?? -1);
        if (runs.length === 1) await new Promise((r) => setTimeout(r, 2500)); // 1.25 × receive visibility
      },
    });
    try {
      await waitUntil(() => runs.length >= 2, 10_000);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await consumer.stop();
    }
    expect(runs).toEqual([300, 301]);
    const extended = calls.filter((c) => c.command === 'ChangeMessageVisibilityCommand');
    // Both extended once, to the full visibility, after a quarter of the receive visibility
    // (0.5 s) and well before all of it (2 s).
    expect(extended.map((c) => c.handle).sort()).toEqual(['handle-0', 'handle-1']);
    expect(extended.every((c) => c.seconds === 30)).toBe(true);
    for (const c of extended) {
      expect(c.at - started).toBeGreaterThanOrEqual(375);
      expect(c.at - started).toBeLessThan(2000);
    }
    const deleted = calls.filter((c) => c.command === 'DeleteMessageCommand').map((c) => c.handle);
    expect(deleted).toEqual(['handle-0', 'handle-1']);
  });
});
