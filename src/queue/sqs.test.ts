import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFauxqs, type FauxqsPeer } from '../../test/peers/fauxqs.js';
import { runQueueConformance, queuedMessage } from './conformance.js';
import { decodeQueuedMessage, encodeQueuedMessage, messageGroupId } from './message.js';
import { createSqsConsumer } from './sqs-consumer.js';
import { createSqsQueue } from './sqs-producer.js';
import type { AgentWork, QueuedMessage } from './types.js';
import { updateIdOf } from './message.js';

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

/** A FIFO queue with a FIFO DLQ after 5 receives, like the deployment's. */
async function createQueuePair(): Promise<{ queueUrl: string; dlqUrl: string }> {
  counter++;
  const dlqUrl = peer.createQueue(`conv-dlq-${counter}.fifo`);
  const attrs = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueUrl = peer.createQueue(`conv-${counter}.fifo`, {
    VisibilityTimeout: '30',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: attrs.Attributes?.QueueArn, maxReceiveCount: 5 }),
  });
  return { queueUrl, dlqUrl };
}

runQueueConformance('sqs (fauxqs FIFO)', async () => {
  const { queueUrl, dlqUrl } = await createQueuePair();
  return {
    queue: createSqsQueue({ client, queueUrl }),
    consume: (handler, options) =>
      createSqsConsumer({
        client,
        queueUrl,
        handler,
        waitTimeSeconds: 1,
        retryDelaySeconds: 0,
        ...(options?.busy ? { busy: options.busy } : {}),
      }),
    groupBatches: false,
    deadLetters: async () => {
      const out = await client.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      return (out.Messages ?? []).map((m) => decodeQueuedMessage(m.Body ?? ''));
    },
    close: async () => {},
  };
});

describe('SQS FIFO wire format', () => {
  it('uses tenant:chat:thread as the group and a hash of tenant + update_id for dedupe', async () => {
    const { queueUrl } = await createQueuePair();
    const queue = createSqsQueue({ client, queueUrl });
    await queue.enqueue(queuedMessage('-1001', 10));
    await queue.enqueue(queuedMessage('-1001', 10)); // Telegram re-delivery
    // A different tenant with the same update_id is a different message.
    const other = queuedMessage('-1001', 10);
    await queue.enqueue({ ...other, key: { ...other.key, tenant: 'acme' as typeof other.key.tenant } });
    const out = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
      }),
    );
    const groups = (out.Messages ?? []).map((m) => m.Attributes?.MessageGroupId).sort();
    expect(groups).toEqual(['acme:-1001:main', 'default:-1001:main']);
    expect(out.Messages?.[0]?.Attributes?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('dead-letters an undecodable body through the redrive policy', async () => {
    const { queueUrl, dlqUrl } = await createQueuePair();
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"not":"a queued message"}',
        MessageGroupId: 'default:1:main',
        MessageDeduplicationId: 'bad-1',
      }),
    );
    const good = queuedMessage('1', 2);
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: encodeQueuedMessage(good),
        MessageGroupId: messageGroupId(good),
        MessageDeduplicationId: 'good-2',
      }),
    );
    const handled: number[] = [];
    const consumer = createSqsConsumer({
      client,
      queueUrl,
      waitTimeSeconds: 1,
      retryDelaySeconds: 0,
      handler: async (m) => {
        handled.push(updateIdOf(m) ?? -1);
      },
    });
    const deadline = Date.now() + 20_000;
    while (!handled.includes(2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await consumer.stop();
    expect(handled).toEqual([2]);
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"not":"a queued message"}']);
  });
});

describe('SQS consumer: undecodable bodies (issue 18)', () => {
  it('each is retried and dead-lettered by the redrive policy; other conversations run at once, its own after it', async () => {
    const { queueUrl, dlqUrl } = await createQueuePair();
    const over = queuedMessage('9', 9);
    // Not JSON, wrong shape, a field past its bound, an unknown kind, a huge body: one conversation each.
    const bad = [
      'not json at all',
      '{"not":"a queued message"}',
      JSON.stringify({ ...over, messageTime: 1e20 }),
      JSON.stringify({ ...over, kind: 'launch' }),
      `"${'x'.repeat(200_000)}"`,
    ];
    const badGroups = bad.map((_, i) => `default:${100 + i}:main`);
    for (const [i, body] of bad.entries()) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageGroupId: badGroups[i],
          MessageDeduplicationId: `bad-${i}`,
        }),
      );
      // A good message behind it in its own conversation.
      const behind = queuedMessage(String(100 + i), 1000 + i);
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: encodeQueuedMessage(behind),
          MessageGroupId: messageGroupId(behind),
          MessageDeduplicationId: `behind-${i}`,
        }),
      );
    }
    const queue = createSqsQueue({ client, queueUrl });
    for (let i = 0; i < 5; i++) await queue.enqueue(queuedMessage(String(200 + i), 2000 + i));
    const handled: number[] = [];
    let deadAtFirstOther = -1;
    const consumer = createSqsConsumer({
      client,
      queueUrl,
      waitTimeSeconds: 1,
      retryDelaySeconds: 0,
      handler: async (m) => {
        handled.push(updateIdOf(m) ?? -1);
        if (deadAtFirstOther === -1 && (updateIdOf(m) ?? 0) >= 2000) deadAtFirstOther = dead.length;
      },
    });
    const dead: string[] = [];
    const deadline = Date.now() + 60_000;
    while (handled.length < 10 && Date.now() < deadline) {
      const out = await client.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      dead.push(...(out.Messages ?? []).map((m) => m.Body ?? ''));
      await new Promise((r) => setTimeout(r, 50));
    }
    await consumer.stop();
    const out = await client.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    dead.push(...(out.Messages ?? []).map((m) => m.Body ?? ''));
    // The other conversations ran before any bad body was dead-lettered: nothing waited for them.
    expect(deadAtFirstOther).toBe(0);
    expect(handled.filter((id) => id >= 2000).sort()).toEqual([2000, 2001, 2002, 2003, 2004]);
    // Each bad body went to the DLQ; the message behind it in its conversation ran after, once.
    expect(dead.sort()).toEqual([...bad].sort());
    expect(handled.filter((id) => id >= 1000 && id < 2000).sort()).toEqual([1000, 1001, 1002, 1003, 1004]);
    expect(handled).toHaveLength(10);
  });
});

describe('SQS consumer: albums', () => {
  it('holds an album part younger than the settle window, then hands it out once (first delivery)', async () => {
    const { queueUrl, dlqUrl } = await createQueuePair();
    const queue = createSqsQueue({ client, queueUrl });
    const part = (updateId: number, n: number): QueuedMessage => ({
      ...(queuedMessage('1', updateId) as AgentWork),
      attachments: [{ kind: 'photo', fileId: `f${n}`, fileUniqueId: `u${n}`, messageId: 100 + n }],
      mediaGroupId: 'album-1',
    });
    const handled: Array<{ id: number; at: number; parts: number }> = [];
    const sentAt = Date.now();
    await queue.enqueue(part(31, 1));
    await queue.enqueue(part(32, 2));
    const consumer = createSqsConsumer({
      client,
      queueUrl,
      waitTimeSeconds: 1,
      retryDelaySeconds: 0,
      albumSettleMs: 400,
      busy: () => 'one-by-one',
      handler: async (m) => {
        const merged = m.kind === 'agent' ? (m.merged?.length ?? 0) : 0;
        handled.push({
          id: updateIdOf(m) ?? -1,
          at: Date.now(),
          parts: merged + 1,
        });
      },
    });
    const deadline = Date.now() + 20_000;
    const count = () => handled.reduce((n, h) => n + h.parts, 0);
    while (count() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await consumer.stop();
    // fauxqs hands out one message per group per receive, so the parts may be two turns here; on
    // SQS they come in one batch and join. Either way: both once, in order, after the window.
    expect(count()).toBe(2);
    expect(handled[0]?.id).toBe(31);
    expect((handled[0]?.at ?? 0) - sentAt).toBeGreaterThanOrEqual(390);
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    expect(dead.Messages ?? []).toEqual([]);
  });
});
