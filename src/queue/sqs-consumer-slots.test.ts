import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs, type FauxqsPeer } from '../../test/peers/fauxqs.js';
import { queueDepth } from '../../test/peers/queue-depth.js';
import { conversationKey } from '../core/keys.js';
import { queuedMessage } from './conformance.js';
import { decodeQueuedMessage, encodeQueuedMessage, messageGroupId, updateIdOf } from './message.js';
import { createSqsConsumer } from './sqs-consumer.js';
import { createSqsQueue } from './sqs-producer.js';
import type { AgentWork } from './types.js';

/**
 * The consumer's slots (docs/scale.md §8.6) and fair share per tenant (§8.4): a slot is held only
 * while a handler runs, received messages wait outside the slots, the consumer receives again when
 * any unit is done, and while another tenant's unit waits a tenant gets no slot beyond its share.
 */
let peer: FauxqsPeer;
let client: SQSClient;
let counter = 0;

beforeAll(async () => {
  peer = await startFauxqs();
  client = new SQSClient({ endpoint: peer.endpoint, region: peer.region, credentials: peer.credentials });
});
afterAll(async () => {
  client?.destroy();
  await peer?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await sleep(10);
}

function tenantMessage(tenant: string, chat: number, updateId: number): AgentWork {
  return { ...queuedMessage(String(chat), updateId), key: conversationKey({ tenant, chat: String(chat) }) };
}

describe('SQS consumer: slots are running units', () => {
  it('a batch with 3 messages of conversation A and 1 of B: B starts at once, a later conversation as soon as one unit is done', async () => {
    // fauxqs hands out one message per group at a time, so the batch with three of one
    // conversation (which real SQS FIFO returns) comes from a stub client.
    const batch = [
      queuedMessage('1', 11),
      queuedMessage('1', 12),
      queuedMessage('1', 13),
      queuedMessage('2', 21),
    ];
    const later = queuedMessage('3', 31);
    const asMessage = (m: AgentWork, i: number): Message => ({
      MessageId: `id-${updateIdOf(m)}`,
      ReceiptHandle: `handle-${i}-${updateIdOf(m)}`,
      Body: encodeQueuedMessage(m),
      Attributes: { ApproximateReceiveCount: '1', MessageGroupId: messageGroupId(m), SentTimestamp: '0' },
    });
    const calls: Array<{ at: number; command: string; max?: number; handle?: string }> = [];
    let receives = 0;
    const stub = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name;
        const input = command.input as { MaxNumberOfMessages?: number; ReceiptHandle?: string };
        calls.push({
          at: Date.now(),
          command: name,
          max: input.MaxNumberOfMessages,
          handle: input.ReceiptHandle,
        });
        if (name !== 'ReceiveMessageCommand') return {};
        receives++;
        if (receives === 1) return { Messages: batch.map(asMessage) };
        if (receives === 2) return { Messages: [asMessage(later, 9)] };
        await sleep(50);
        return { Messages: [] };
      },
    } as unknown as SQSClient;

    const events: string[] = [];
    const startedAt = new Map<number, number>();
    let running = 0;
    let maxRunning = 0;
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const consumer = createSqsConsumer({
      client: stub,
      queueUrl: 'stub.fifo',
      waitTimeSeconds: 1,
      maxInFlight: 2,
      lookAhead: 2,
      busy: () => 'one-by-one', // A's three stay three turns, in order
      handler: async (m) => {
        const id = updateIdOf(m) ?? -1;
        startedAt.set(id, Date.now());
        events.push(`start ${id}`);
        maxRunning = Math.max(maxRunning, ++running);
        if (id === 11)
          await firstHeld; // A's first turn runs until the test ends it
        else await sleep(30);
        running--;
        events.push(`end ${id}`);
      },
    });
    try {
      await waitUntil(() => startedAt.has(31), 5000);
      const runningWhenLaterStarted = [...events];
      releaseFirst();
      await waitUntil(() => events.includes('end 13'), 5000);
      // B started with A's first, without waiting for it.
      expect(runningWhenLaterStarted.slice(0, 2).sort()).toEqual(['start 11', 'start 21']);
      // The later conversation ran while A's first was still running: it did not wait for the batch.
      expect(runningWhenLaterStarted).toContain('start 31');
      expect(runningWhenLaterStarted).not.toContain('end 11');
      // Its receive asked for the room one finished unit left (2 slots + 2 look-ahead − 3 held).
      const secondReceive = calls.filter((c) => c.command === 'ReceiveMessageCommand')[1];
      expect(calls[0]?.max).toBe(4);
      expect(secondReceive?.max).toBe(1);
      const bDeleted = calls.find((c) => c.command === 'DeleteMessageCommand' && c.handle?.endsWith('-21'));
      expect(secondReceive?.at).toBeGreaterThanOrEqual(bDeleted?.at ?? Infinity);
      // A's messages ran one after another, in order; never more than 2 handlers at once.
      const aOrder = events.filter((e) => /^(start|end) 1\d$/.test(e));
      expect(aOrder).toEqual(['start 11', 'end 11', 'start 12', 'end 12', 'start 13', 'end 13']);
      expect(maxRunning).toBe(2);
    } finally {
      releaseFirst();
      await consumer.stop();
    }
  });
});

describe('SQS consumer: stop', () => {
  it('stop() stops receiving and returns once every received message ran, those waiting for a slot included (as before)', async () => {
    const batch = [
      queuedMessage('4', 41),
      queuedMessage('4', 42),
      queuedMessage('5', 51),
      queuedMessage('6', 61),
    ];
    let receives = 0;
    const deleted: string[] = [];
    const stub = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        const name = command.constructor.name;
        if (name === 'DeleteMessageCommand') deleted.push(String(command.input.ReceiptHandle));
        if (name !== 'ReceiveMessageCommand') return {};
        if (++receives === 1)
          return {
            Messages: batch.map((m) => ({
              MessageId: `id-${updateIdOf(m)}`,
              ReceiptHandle: `handle-${updateIdOf(m)}`,
              Body: encodeQueuedMessage(m),
              Attributes: {
                ApproximateReceiveCount: '1',
                MessageGroupId: messageGroupId(m),
                SentTimestamp: '0',
              },
            })),
          };
        await sleep(50);
        return { Messages: [] };
      },
    } as unknown as SQSClient;
    const ran: number[] = [];
    const consumer = createSqsConsumer({
      client: stub,
      queueUrl: 'stub.fifo',
      waitTimeSeconds: 1,
      maxInFlight: 1,
      lookAhead: 3,
      busy: () => 'one-by-one',
      handler: async (m) => {
        ran.push(updateIdOf(m) ?? -1);
        await sleep(100);
      },
    });
    await waitUntil(() => ran.length > 0, 5000);
    await consumer.stop();
    const receivesAtStop = receives;
    expect([...ran].sort()).toEqual([41, 42, 51, 61]);
    expect(ran.indexOf(41)).toBeLessThan(ran.indexOf(42));
    expect(deleted.sort()).toEqual(['handle-41', 'handle-42', 'handle-51', 'handle-61']);
    await sleep(150);
    expect(receives).toBe(receivesAtStop); // nothing received after stop()
  });
});

interface FloodResult {
  /** Queue wait of the quiet tenant's messages (ms, send → handler start). */
  quietWaits: number[];
  /** Of those, the time from its receive to its start (ms): what the consumer's slots decide. */
  quietSlotWaits: number[];
  /**
   * The flooding and the quiet tenant's running units right after each flood start while a quiet
   * message waited for a slot (received, and still not started once the start's own
   * continuations ran: a quiet unit granted a slot at the same moment did not wait).
   */
  floodRunningWhileQuietWaited: Array<{ flood: number; quiet: number }>;
  /** Samples (every 2 ms) where a received message waited and a slot was free. */
  idleWhileWaiting: number;
  /** Samples where a quiet message waited with every slot busy (the cap had something to do). */
  quietWaitedFull: number;
  handled: Map<string, number>;
  orders: Map<string, number[]>;
  depth: { visible: number; inFlight: number };
}

const SLOTS = 4;
const TURN_MS = 120;

/**
 * Tenant `flood` sends 60 messages over 20 conversations, then tenant `quiet` 5 over 5, one every
 * 150 ms; 4 slots, each turn held 120 ms. The test watches every receive (through a wrapping
 * client) and every handler start and end.
 */
async function floodRun(tenantShare: number): Promise<FloodResult> {
  counter++;
  const queueUrl = peer.createQueue(`fair-${counter}.fifo`, { VisibilityTimeout: '30' });
  const producer = createSqsQueue({ client, queueUrl });
  const idOf = (m: AgentWork): string => `${m.key.tenant}/${updateIdOf(m)}`;
  // Flood first: each conversation's messages in order, conversations concurrently.
  await Promise.all(
    Array.from({ length: 20 }, async (_, chat) => {
      for (let k = 0; k < 3; k++)
        await producer.enqueue(tenantMessage('flood', 100 + chat, 1 + chat + 20 * k));
    }),
  );
  const sentAt = new Map<string, number>();
  const waitingSlot = new Map<string, string>(); // received, not started: id → tenant
  const receivedAt = new Map<string, number>();
  const running = new Map<string, number>();
  const total = (): number => [...running.values()].reduce((a, b) => a + b, 0);
  const out: FloodResult = {
    quietWaits: [],
    quietSlotWaits: [],
    floodRunningWhileQuietWaited: [],
    idleWhileWaiting: 0,
    quietWaitedFull: 0,
    handled: new Map(),
    orders: new Map(),
    depth: { visible: -1, inFlight: -1 },
  };
  const watching = {
    send: async (command: unknown, options?: unknown) => {
      const result = (await (client.send as (c: unknown, o?: unknown) => Promise<unknown>)(
        command,
        options,
      )) as {
        Messages?: Message[];
      };
      for (const m of result?.Messages ?? []) {
        const decoded = decodeQueuedMessage(m.Body ?? '') as AgentWork;
        waitingSlot.set(idOf(decoded), decoded.key.tenant);
        receivedAt.set(idOf(decoded), Date.now());
      }
      return result;
    },
  } as unknown as SQSClient;
  const sampler = setInterval(() => {
    const quietWaits = [...waitingSlot.values()].includes('quiet');
    if (waitingSlot.size > 0 && total() < SLOTS) out.idleWhileWaiting++;
    if (quietWaits && total() === SLOTS) out.quietWaitedFull++;
  }, 2);
  const consumer = createSqsConsumer({
    client: watching,
    queueUrl,
    waitTimeSeconds: 1,
    maxInFlight: SLOTS,
    tenantShare,
    busy: () => 'one-by-one',
    handler: async (raw) => {
      const m = raw as AgentWork;
      const id = idOf(m);
      const tenant = m.key.tenant;
      waitingSlot.delete(id);
      running.set(tenant, (running.get(tenant) ?? 0) + 1);
      if (tenant === 'flood') {
        const seen = { flood: running.get(tenant) ?? 0, quiet: running.get('quiet') ?? 0 };
        const quietWaiting = [...waitingSlot].filter(([, t]) => t === 'quiet').map(([q]) => q);
        setImmediate(() => {
          if (quietWaiting.some((q) => waitingSlot.has(q))) out.floodRunningWhileQuietWaited.push(seen);
        });
      }
      if (tenant === 'quiet') {
        out.quietWaits.push(Date.now() - (sentAt.get(id) ?? NaN));
        out.quietSlotWaits.push(Date.now() - (receivedAt.get(id) ?? NaN));
      }
      out.handled.set(id, (out.handled.get(id) ?? 0) + 1);
      const group = messageGroupId(m);
      out.orders.set(group, [...(out.orders.get(group) ?? []), updateIdOf(m) ?? -1]);
      await sleep(TURN_MS);
      running.set(tenant, (running.get(tenant) ?? 1) - 1);
    },
  });
  try {
    await sleep(200);
    for (let i = 0; i < 5; i++) {
      const m = tenantMessage('quiet', 200 + i, 1000 + i);
      sentAt.set(idOf(m), Date.now());
      await producer.enqueue(m);
      await sleep(150);
    }
    await waitUntil(() => out.handled.size >= 65, 30_000);
    await sleep(200); // a second run of anything would show up here
  } finally {
    clearInterval(sampler);
    await consumer.stop();
  }
  out.depth = await queueDepth(client, queueUrl);
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('SQS consumer: fair share per tenant (fauxqs)', () => {
  it('a flooding tenant gets no slot beyond its share while another tenant waits; every message once, in order, no idle slot', async () => {
    const fair = await floodRun(0.5);
    const off = await floodRun(1);
    console.info(
      `[fair share] quiet tenant mean wait: share 0.5 ${Math.round(mean(fair.quietWaits))} ms ` +
        `(${fair.quietWaits.join(', ')}), share 1 (off) ${Math.round(mean(off.quietWaits))} ms ` +
        `(${off.quietWaits.join(', ')}); receive → start: on ${fair.quietSlotWaits.join(', ')}, ` +
        `off ${off.quietSlotWaits.join(', ')}; flood starts while quiet waited: on ${JSON.stringify(fair.floodRunningWhileQuietWaited)}, ` +
        `off ${JSON.stringify(off.floodRunningWhileQuietWaited)}`,
    );
    for (const run of [fair, off]) {
      expect(run.handled.size).toBe(65);
      expect([...run.handled.values()].every((n) => n === 1)).toBe(true);
      for (const [group, ids] of run.orders) expect(ids, group).toEqual([...ids].sort((a, b) => a - b));
      expect(run.idleWhileWaiting).toBe(0);
      expect(run.depth).toEqual({ visible: 0, inFlight: 0 });
    }
    // The cap had work to do: a quiet message waited while every slot was busy.
    expect(fair.quietWaitedFull).toBeGreaterThan(0);
    // While a quiet message waited for a slot (its tenant under its cap), the flood started units
    // only up to its own cap (2 of 4).
    // (With both tenants at their caps the oldest waiter goes first: work conserving.)
    const overCap = fair.floodRunningWhileQuietWaited.filter((x) => x.quiet < 2 && x.flood > 2);
    expect(overCap).toEqual([]);
  });
});
