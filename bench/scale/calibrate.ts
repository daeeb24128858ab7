/**
 * Calibration of the scale simulation against the real queues at a small scale, on 127.0.0.1:
 *
 *   npx tsx bench/scale/calibrate.ts [--queue memory|sqs|both] [--rate 9] [--seconds 40] [--slots 4]
 *
 * One seeded trace (Poisson arrivals over 30 conversations, 3 of them hot; log-normal turn times)
 * is replayed open loop through (a) the real in-process queue and (b) the real SQS FIFO producer
 * and long-polling consumer on fauxqs, with a handler that holds each turn for its drawn time,
 * then through the simulation with the same slots: its dispatcher for the in-process queue, its
 * model of the long-polling consumer (`sqs-consumer-model.ts`, its rules since §8.6, and the batch rules before
 * them as `simulated_batch_rules`) for SQS. Queue delay = handler start − the
 * moment the message was handed to the queue. Prints one JSON line per queue with both sides.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';
import { createSqsClient } from '../../src/aws/sqs.js';
import { conversationKey } from '../../src/core/keys.js';
import {
  createMemoryQueue,
  createSqsConsumer,
  createSqsQueue,
  sourceId,
  type QueuedMessage,
} from '../../src/queue/index.js';
import { startFauxqs } from '../../test/peers/fauxqs.js';
import { calibrationTrace, type TraceItem } from './calibration-trace.js';
import { createDispatcher } from './dispatcher.js';
import { createSimulation } from './event-queue.js';
import { createSample, round, type Sample } from './metrics.js';
import { simulateSqsConsumer } from './sqs-consumer-model.js';

interface Side {
  delay: Sample;
  /** Messages finished per second, first send to last finish. */
  throughput: number;
}

const summary = (s: Side) => ({
  queue_delay_p50_s: round(s.delay.percentile(50), 3),
  queue_delay_p90_s: round(s.delay.percentile(90), 3),
  queue_delay_p99_s: round(s.delay.percentile(99), 3),
  queue_delay_mean_s: round(s.delay.mean(), 3),
  throughput_per_s: round(s.throughput, 2),
});

function simulate(trace: TraceItem[], slots: number, overheadS: number): Side {
  const sim = createSimulation();
  const delay = createSample();
  let last = 0;
  const dispatcher = createDispatcher<{ group: number; tenant: number; arrival: number; serviceS: number }>({
    sim,
    slots,
    policy: 'arrival',
    start: (job, done) => {
      delay.add(sim.now + overheadS - job.arrival);
      sim.after(overheadS + job.serviceS, () => {
        last = Math.max(last, sim.now);
        done();
      });
    },
  });
  for (const item of trace)
    sim.at(item.atS, () => dispatcher.submit({ ...item, tenant: 0, arrival: sim.now }));
  sim.run();
  return { delay, throughput: trace.length / last };
}

const message = (item: TraceItem, id: number): QueuedMessage => ({
  kind: 'agent',
  key: conversationKey({ tenant: 'calib', chat: String(1000 + item.group) }),
  source: { type: 'telegram', updateId: id, replyTo: { chatId: 1000 + item.group } },
  text: `m${id}`,
  messageTime: Date.now(),
});

const traceIndex = (m: QueuedMessage): number => Number(sourceId(m.source));

/** Replays the trace into `enqueue` open loop; the handler records each start. */
async function replay(
  trace: TraceItem[],
  setup: (handler: (m: QueuedMessage) => Promise<void>) => Promise<{
    enqueue: (m: QueuedMessage) => Promise<void>;
    stop: () => Promise<void>;
  }>,
): Promise<Side> {
  const sentAt = new Map<number, number>();
  const delay = createSample();
  let finished = 0;
  let last = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const queue = await setup(async (m) => {
    const start = performance.now();
    const id = traceIndex(m);
    delay.add((start - (sentAt.get(id) ?? start)) / 1000);
    const item = trace[id] as TraceItem;
    await new Promise((resolve) => setTimeout(resolve, item.serviceS * 1000));
    last = performance.now();
    if (++finished === trace.length) allDone();
  });
  const t0 = performance.now();
  for (const [id, item] of trace.entries()) {
    const wait = t0 + item.atS * 1000 - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt.set(id, performance.now());
    void queue.enqueue(message(item, id));
  }
  await done;
  await queue.stop();
  return { delay, throughput: trace.length / ((last - t0) / 1000) };
}

async function runMemory(trace: TraceItem[], slots: number): Promise<Side> {
  return replay(trace, async (handler) => {
    // One turn per message, like the trace (the default merges a conversation's waiting messages).
    const q = createMemoryQueue({ handler: (m) => handler(m), concurrency: slots, busy: () => 'one-by-one' });
    return { enqueue: (m) => q.enqueue(m), stop: () => q.stop() };
  });
}

/** Median round trips of SendMessage, ReceiveMessage and DeleteMessage on this machine, now. */
async function sqsRoundTrips(
  client: SQSClient,
  queueUrl: string,
): Promise<{ receiveS: number; deleteS: number }> {
  const { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } =
    await import('@aws-sdk/client-sqs');
  const receive = createSample();
  const del = createSample();
  for (let i = 0; i < 20; i++) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: 'rt',
        MessageGroupId: `rt${i}`,
        MessageDeduplicationId: `rt${i}`,
      }),
    );
    let t = performance.now();
    const out = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
    receive.add((performance.now() - t) / 1000);
    t = performance.now();
    for (const m of out.Messages ?? [])
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    del.add((performance.now() - t) / 1000);
  }
  return { receiveS: receive.percentile(50), deleteS: del.percentile(50) };
}

async function runSqs(
  trace: TraceItem[],
  slots: number,
): Promise<Side & { receiveS: number; deleteS: number }> {
  const peer = await startFauxqs();
  const client = createSqsClient({
    endpoint: peer.endpoint,
    region: peer.region,
    credentials: { ...peer.credentials },
  });
  const queueUrl = peer.createQueue('calibrate.fifo', { VisibilityTimeout: '30' });
  try {
    const trips = await sqsRoundTrips(client, queueUrl);
    const side = await replay(trace, async (handler) => {
      const producer = createSqsQueue({ client, queueUrl });
      const consumer = createSqsConsumer({
        client,
        queueUrl,
        handler: (m) => handler(m),
        waitTimeSeconds: 1,
        maxInFlight: slots,
        busy: () => 'one-by-one',
      });
      return { enqueue: (m) => producer.enqueue(m), stop: () => consumer.stop() };
    });
    return { ...side, ...trips };
  } finally {
    client.destroy();
    await peer.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      queue: { type: 'string', default: 'both' },
      rate: { type: 'string', default: '9' },
      seconds: { type: 'string', default: '40' },
      slots: { type: 'string', default: '4' },
      seed: { type: 'string', default: '1' },
    },
  });
  const slots = Number(values.slots);
  const options = {
    seed: Number(values.seed),
    ratePerS: Number(values.rate),
    seconds: Number(values.seconds),
    groups: 30,
    hot: { groups: 3, traffic: 0.5 },
    service: { medianS: 0.3, sigma: 0.5 },
  };
  const trace = calibrationTrace(options);
  const meanService = trace.reduce((s, i) => s + i.serviceS, 0) / trace.length;
  const kinds = values.queue === 'both' ? ['memory', 'sqs'] : [values.queue as string];
  for (const kind of kinds) {
    const sqs = kind === 'sqs' ? await runSqs(trace, slots) : undefined;
    const measured = sqs ?? (await runMemory(trace, slots));
    // The in-process queue is the dispatcher itself; the SQS consumer has its own batch rules and
    // the SDK round trips measured just before the run.
    const sqsModel = (rules: 'batch' | 'units') =>
      sqs
        ? simulateSqsConsumer(trace, {
            slots,
            receiveLatencyS: sqs.receiveS,
            deleteLatencyS: sqs.deleteS,
            waitTimeS: 1,
            rules,
          })
        : undefined;
    // The consumer's rules since §8.6; the batch rules before it are printed beside them for the record.
    const simulated = sqsModel('units') ?? simulate(trace, slots, 0);
    const before = sqsModel('batch');
    process.stdout.write(
      `${JSON.stringify({
        bench: 'scale-calibration',
        queue: kind,
        messages: trace.length,
        rate_per_s: options.ratePerS,
        slots,
        mean_service_s: round(meanService, 3),
        utilisation: round((options.ratePerS * meanService) / slots, 2),
        ...(sqs
          ? { receive_rtt_ms: round(sqs.receiveS * 1000, 1), delete_rtt_ms: round(sqs.deleteS * 1000, 1) }
          : {}),
        measured: summary(measured),
        simulated: summary(simulated),
        ...(before ? { simulated_batch_rules: summary(before) } : {}),
        load_avg_1m: round((await import('node:os')).loadavg()[0] ?? 0, 2),
      })}\n`,
    );
  }
}

await main();
