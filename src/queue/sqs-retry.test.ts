import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs, type FauxqsPeer } from '../../test/peers/fauxqs.js';
import { queueDepth } from '../../test/peers/queue-depth.js';
import { DeliveryDeferredError } from '../core/delivery-deferred.js';
import { createLogger } from '../core/logger.js';
import { queuedMessage } from './conformance.js';
import { encodeQueuedMessage, messageGroupId, updateIdOf } from './message.js';
import { createSqsBatchHandler, type SqsBatchHandlerOptions, type SqsEventRecord } from './sqs-batch.js';
import { MAX_VISIBILITY_SECONDS, retryDelaySeconds, secondsUntil } from './sqs-retry.js';
import type { Delivery } from './types.js';

/**
 * A failed Lambda record comes back soon (docs/scale.md §8.5): the batch handler against a real
 * FIFO queue on fauxqs with the deployment's 5,400 s visibility timeout. The test plays the Lambda
 * event source: it receives, hands the records to the handler, deletes what was not reported.
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

function createQueue(): string {
  counter++;
  return peer.createQueue(`worker-${counter}.fifo`, { VisibilityTimeout: '5400' });
}

async function send(queueUrl: string, chat: string, updateId: number): Promise<void> {
  const message = queuedMessage(chat, updateId);
  await client.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: encodeQueuedMessage(message),
      MessageGroupId: messageGroupId(message),
      MessageDeduplicationId: `u${updateId}`,
    }),
  );
}

/** One receive as the event source mapping does it, as Lambda event records. */
async function receive(queueUrl: string, waitSeconds: number): Promise<SqsEventRecord[]> {
  const out = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
    }),
  );
  return (out.Messages ?? []).map((m) => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      MessageGroupId: m.Attributes?.MessageGroupId ?? '',
    },
  }));
}

/** Runs a batch through the handler and, like Lambda, deletes the records it did not report. */
async function invoke(
  handle: ReturnType<typeof createSqsBatchHandler>,
  queueUrl: string,
  records: SqsEventRecord[],
): Promise<string[]> {
  const { batchItemFailures } = await handle({ Records: records });
  const failed = batchItemFailures.map((f) => f.itemIdentifier);
  for (const r of records.filter((r) => !failed.includes(r.messageId))) {
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle }));
  }
  return failed;
}

/** Receives until something arrives or `seconds` have passed (long polls of at most 2 s). */
async function receiveWithin(queueUrl: string, seconds: number): Promise<SqsEventRecord[]> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const wait = Math.max(0, Math.min(2, Math.floor((deadline - Date.now()) / 1000)));
    const records = await receive(queueUrl, wait);
    if (records.length > 0) return records;
  }
  return [];
}

/** A handler that fails the first delivery of update 1 and records every successful one. */
function failOnce(): { handled: number[]; options: Pick<SqsBatchHandlerOptions, 'handler'> } {
  const handled: number[] = [];
  let failures = 0;
  return {
    handled,
    options: {
      handler: async (m) => {
        if (updateIdOf(m) === 1 && failures++ === 0) throw new Error('model timeout');
        handled.push(updateIdOf(m) ?? -1);
      },
    },
  };
}

describe('createSqsBatchHandler: a failed record comes back soon (fauxqs FIFO, 5,400 s visibility)', () => {
  it('a record that failed once is received again after ~5 s (not 5,400 s) and handled once', async () => {
    const queueUrl = createQueue();
    const { handled, options } = failOnce();
    const handle = createSqsBatchHandler({ ...options, retry: { client, queueUrl } });
    await send(queueUrl, '1', 1);
    await send(queueUrl, '2', 2); // another conversation in the same batch is not held back
    const first = await receive(queueUrl, 1);
    const group1 = messageGroupId(queuedMessage('1', 1));
    expect(first.map((r) => r.attributes.MessageGroupId).sort()).toEqual([
      group1,
      messageGroupId(queuedMessage('2', 2)),
    ]);
    const failedId = first.find((r) => r.attributes.MessageGroupId === group1)?.messageId;
    expect(await invoke(handle, queueUrl, first)).toEqual([failedId]);
    expect(handled).toEqual([2]);
    expect(await receive(queueUrl, 0)).toEqual([]); // invisible for its retry delay first

    const again = await receiveWithin(queueUrl, retryDelaySeconds(1) + 7);
    expect(again.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).toEqual([[failedId, '2']]);
    expect(await invoke(handle, queueUrl, again)).toEqual([]);
    expect(handled).toEqual([2, 1]);
    expect(await queueDepth(client, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
  }, 30_000);

  it('without `retry` (before the fix) the failed record stays invisible: not back within 8 s', async () => {
    const queueUrl = createQueue();
    const { handled, options } = failOnce();
    const handle = createSqsBatchHandler(options);
    await send(queueUrl, '1', 1);
    expect(await invoke(handle, queueUrl, await receive(queueUrl, 1))).toHaveLength(1);
    expect(await receiveWithin(queueUrl, 8)).toEqual([]);
    expect(handled).toEqual([]);
  }, 30_000);

  it('FIFO: the later records of a failed group are reported and delayed too (each by its own receive count; a last receive at once, for the DLQ), other groups are not', async () => {
    // fauxqs hands out one message per group per receive, so the second record of group 1 cannot
    // be received together with the first: it is written as SQS would deliver it (its receipt
    // handle is unknown to fauxqs, which answers with a per-entry failure, logged).
    const queueUrl = createQueue();
    const sent: Array<{ Id?: string; VisibilityTimeout?: number }> = [];
    const observed = new SQSClient({
      endpoint: peer.endpoint,
      region: peer.region,
      credentials: peer.credentials,
    });
    observed.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Entries?: Array<{ Id?: string; VisibilityTimeout?: number }> };
        sent.push(...(input.Entries ?? []).map(({ Id, VisibilityTimeout }) => ({ Id, VisibilityTimeout })));
        return next(args);
      },
      { step: 'initialize' },
    );
    const lines: string[] = [];
    const handle = createSqsBatchHandler({
      handler: async (m) => {
        if (updateIdOf(m) === 1) throw new Error('storage down');
      },
      retry: { client: observed, queueUrl },
      logger: createLogger({ write: (line) => lines.push(line) }),
    });
    await send(queueUrl, '1', 1);
    await send(queueUrl, '2', 2);
    const [a1, b1] = (await receive(queueUrl, 1)).sort((x, y) => x.body.localeCompare(y.body));
    const laterOfGroup1: SqsEventRecord = {
      ...(a1 as SqsEventRecord),
      messageId: 'a2',
      receiptHandle: 'not-received-here',
      body: encodeQueuedMessage(queuedMessage('1', 3)),
      attributes: { ...(a1 as SqsEventRecord).attributes, ApproximateReceiveCount: '5' },
    };
    const failed = await invoke(handle, queueUrl, [
      a1 as SqsEventRecord,
      laterOfGroup1,
      b1 as SqsEventRecord,
    ]);
    expect(failed).toEqual([a1?.messageId, 'a2']);
    expect(sent).toEqual([
      { Id: 'r0', VisibilityTimeout: retryDelaySeconds(1) },
      { Id: 'r1', VisibilityTimeout: 0 }, // its 5th receive: the redrive moves it to the DLQ next
    ]);
    expect(lines.filter((l) => l.includes('visibility change failed') && l.includes('"a2"'))).toHaveLength(1);
    observed.destroy();
  });

  it('a record failing on its last receive is visible at once, and the redrive moves it to the DLQ', async () => {
    counter++;
    const dlqUrl = peer.createQueue(`worker-dlq-${counter}.fifo`);
    const dlq = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
    );
    const queueUrl = peer.createQueue(`worker-${counter}.fifo`, {
      VisibilityTimeout: '5400',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.Attributes?.QueueArn, maxReceiveCount: 2 }),
    });
    const handle = createSqsBatchHandler({
      handler: async () => {
        throw new Error('always');
      },
      maxReceives: 2,
      // 1 s after the first failure; 60 s after later ones, unless the last-receive rule wins.
      retry: { client, queueUrl, delaySeconds: (n) => (n === 1 ? 1 : 60) },
    });
    await send(queueUrl, '1', 1);
    expect(await invoke(handle, queueUrl, await receive(queueUrl, 1))).toHaveLength(1);
    const second = await receiveWithin(queueUrl, 10);
    expect(second.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['2']);
    expect(await invoke(handle, queueUrl, second)).toHaveLength(1);
    expect(await receive(queueUrl, 1)).toEqual([]); // the receive that finds it past maxReceiveCount
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }));
    expect(dead.Messages?.map((m) => m.MessageId)).toEqual([second[0]?.messageId]);
  });

  it('a failed visibility change is logged and the record still reported failed (never fatal)', async () => {
    const queueUrl = createQueue();
    const lines: string[] = [];
    const { options } = failOnce();
    const handle = createSqsBatchHandler({
      ...options,
      retry: { client, queueUrl: `${queueUrl.replace(/\.fifo$/, '')}-missing.fifo` },
      logger: createLogger({ write: (line) => lines.push(line) }),
    });
    await send(queueUrl, '1', 1);
    const records = await receive(queueUrl, 1);
    expect(await invoke(handle, queueUrl, records)).toEqual([records[0]?.messageId]);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain(
      'queue: visibility change failed',
    );
  });
});

describe('the reply outbox: a deferred record comes back at its time (fauxqs FIFO)', () => {
  it('secondsUntil rounds up, at least 1 s, at most SQS’s 12 h', () => {
    expect(secondsUntil(10_001, 0)).toBe(11);
    expect(secondsUntil(5, 10)).toBe(1);
    expect(secondsUntil(90_000_000, 0)).toBe(MAX_VISIBILITY_SECONDS);
  });

  it('deferred until ~3 s ahead: reported, invisible (its group too), received again near then with receive count 2; logged at info', async () => {
    const queueUrl = createQueue();
    const lines: string[] = [];
    const deliveries: Array<{ update: number | undefined; delivery: Delivery }> = [];
    let untilMs = 0;
    const handle = createSqsBatchHandler({
      handler: async (m, delivery) => {
        deliveries.push({ update: updateIdOf(m), delivery });
        if (updateIdOf(m) === 1 && delivery.receiveCount === 1) {
          untilMs = Date.now() + 3000;
          throw new DeliveryDeferredError(untilMs);
        }
      },
      retry: { client, queueUrl },
      logger: createLogger({ write: (line) => lines.push(line) }),
    });
    await send(queueUrl, '1', 1);
    await send(queueUrl, '1', 2); // the same conversation, after it
    const first = await receive(queueUrl, 1);
    expect(first).toHaveLength(1); // one per group: update 2 waits behind update 1
    expect(await invoke(handle, queueUrl, first)).toEqual([first[0]?.messageId]);
    expect(deliveries[0]).toEqual({ update: 1, delivery: { receiveCount: 1, maxReceives: 5, defer: true } });
    expect(await receive(queueUrl, 1)).toEqual([]); // neither update 1 nor (FIFO) update 2
    const again = await receiveWithin(queueUrl, 10);
    const backAfter = Date.now();
    expect(again.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount])).toEqual([
      [first[0]?.messageId, '2'],
    ]);
    expect(backAfter).toBeGreaterThanOrEqual(untilMs - 1000); // not before its time (1 s rounding)
    expect(await invoke(handle, queueUrl, again)).toEqual([]);
    const next = await receiveWithin(queueUrl, 5);
    expect(await invoke(handle, queueUrl, next)).toEqual([]);
    expect(deliveries.map((d) => d.update)).toEqual([1, 1, 2]); // order kept
    const logged = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(logged.filter((l) => l.msg.includes('deferred')).map((l) => l.level)).toEqual(['info']);
    expect(logged.filter((l) => l.level === 'warn')).toEqual([]);
  }, 30_000);

  it('defer is offered only with `retry` and while two receives remain', async () => {
    const offered: Array<[number, boolean]> = [];
    const record = (count: number): SqsEventRecord => ({
      messageId: `m${count}`,
      body: encodeQueuedMessage(queuedMessage('1', count)),
      attributes: { ApproximateReceiveCount: String(count), MessageGroupId: 'g' },
    });
    const handler = async (_m: unknown, d: Delivery) => void offered.push([d.receiveCount, d.defer === true]);
    const withRetry = createSqsBatchHandler({ handler, retry: { client, queueUrl: createQueue() } });
    for (const n of [1, 3, 4, 5]) await withRetry({ Records: [record(n)] });
    await createSqsBatchHandler({ handler })({ Records: [record(1)] });
    expect(offered).toEqual([
      [1, true],
      [3, true],
      [4, false],
      [5, false],
      [1, false],
    ]);
  });
});
