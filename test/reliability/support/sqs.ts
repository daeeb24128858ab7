import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { createSqsClient } from '../../../src/aws/sqs.js';
import { createSqsConsumer, type SqsConsumerOptions } from '../../../src/queue/sqs-consumer.js';
import { createSqsQueue } from '../../../src/queue/sqs-producer.js';
import type { QueueHandler } from '../../../src/queue/types.js';
import type { QueueFactory } from '../../../src/telegram/service.js';
import type { FauxqsPeer } from '../../peers/fauxqs.js';

/** A FIFO queue on fauxqs with a FIFO dead-letter queue after `maxReceiveCount` receives (5). */
export interface FifoQueue {
  queueUrl: string;
  dlqUrl: string;
  /** A client straight to fauxqs (no proxy) for inspection. */
  direct: SQSClient;
  /** A client for `endpoint` (e.g. a fault proxy in front of fauxqs). */
  clientFor(endpoint: string, maxAttempts?: number): SQSClient;
  /** How many messages the DLQ holds (GetQueueAttributes: does not receive them). */
  deadLetterCount(): Promise<number>;
  /** Messages now in the DLQ (received with visibility 0 so they stay; this bumps their receive count). */
  deadLetters(): Promise<Message[]>;
  /** A pipeline queue factory: producer and consumer through `client`. */
  factory(
    client: SQSClient,
    consumer?: Partial<Omit<SqsConsumerOptions, 'client' | 'queueUrl' | 'handler'>>,
    wrap?: (handler: QueueHandler) => QueueHandler,
  ): QueueFactory;
  close(): void;
}

let counter = 0;

export async function createFifoQueue(
  peer: FauxqsPeer,
  options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {},
): Promise<FifoQueue> {
  counter++;
  const clients: SQSClient[] = [];
  const clientFor = (endpoint: string, maxAttempts = 3): SQSClient => {
    // The production builder: the shared retry policy, with this many attempts.
    const client = createSqsClient({
      endpoint,
      region: peer.region,
      credentials: peer.credentials,
      retry: { maxAttempts },
    });
    clients.push(client);
    return client;
  };
  const direct = clientFor(peer.endpoint);
  const tag = `${process.pid}-${counter}-${Date.now().toString(36)}`;
  const dlqUrl = peer.createQueue(`rel-dlq-${tag}.fifo`);
  const dlq = await direct.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueUrl = peer.createQueue(`rel-${tag}.fifo`, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlq.Attributes?.QueueArn,
      maxReceiveCount: options.maxReceiveCount ?? 5,
    }),
  });
  return {
    queueUrl,
    dlqUrl,
    direct,
    clientFor,
    async deadLetterCount() {
      const out = await direct.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    },
    async deadLetters() {
      const out = await direct.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      return out.Messages ?? [];
    },
    factory:
      (client, consumer = {}, wrap = (h) => h) =>
      (handler) => ({
        queue: createSqsQueue({ client, queueUrl }),
        consumer: createSqsConsumer({
          client,
          queueUrl,
          handler: wrap(handler),
          waitTimeSeconds: 1,
          retryDelaySeconds: 0,
          ...consumer,
        }),
      }),
    close: () => clients.forEach((c) => c.destroy()),
  };
}
