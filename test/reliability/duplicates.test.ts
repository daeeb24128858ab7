import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delayReply, demoModel } from '../../src/model/index.js';
import { createSqsQueue } from '../../src/queue/sqs-producer.js';
import type { QueueHandler } from '../../src/queue/types.js';
import { startFauxqs, type FauxqsPeer } from '../peers/fauxqs.js';
import type { AgentRunner } from '../../src/agent/types.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline, type QueueKind } from '../telegram/pipeline.js';
import { FORUM } from '../telegram/updates.js';
import {
  ONE_REPLY_PER_MESSAGE,
  checkDelivery,
  deliveryCounts,
  makeConversations,
  type DeliveryReport,
} from './support/conversations.js';
import { startFaultProxy, throttlingFor, type FaultProxy } from './support/fault-proxy.js';
import { printFigures, scaled } from './support/figures.js';
import { createFifoQueue, type FifoQueue } from './support/sqs.js';
import { updateIdOf } from '../../src/queue/message.js';

/**
 * Duplicates: Telegram re-sends an update it did not see acknowledged, and SQS re-delivers a
 * message whose visibility lapsed (slow worker, failed heartbeat, a consumer that died before
 * DeleteMessage). The promise is one turn and one reply per user message — checked in the replies
 * the fake Bot API received and in the stored transcripts.
 *
 * Queue re-deliveries of a message whose turn already ran are answered from the runner's turn
 * ledger (`requestId` = `tg:<update_id>`, checked under the conversation lease): the turn never runs
 * again, and the reply — delivered under the lease and recorded — is not sent again.
 */

const CONVERSATIONS = scaled('DUP_CONVERSATIONS', 4);
const PER_CONV = scaled('DUP_PER_CONV', 3);

let h: AgentHarness;
let fauxqs: FauxqsPeer;
beforeAll(async () => {
  [h, fauxqs] = await Promise.all([startAgentHarness(), startFauxqs()]);
});
afterAll(async () => {
  await fauxqs?.stop();
  await h?.close();
});

describe.each<QueueKind>(['memory', 'sqs'])('webhook delivers every update 3× (%s queue)', (queue) => {
  it('→ one turn and one reply per message', { timeout: 300_000 }, async () => {
    const p = await startPipeline({ runner: h.runner, queue, ...ONE_REPLY_PER_MESSAGE });
    try {
      p.api.setChat(FORUM);
      h.model.requests.length = 0;
      const conversations = makeConversations(CONVERSATIONS, PER_CONV, `dup3-${queue}`);
      const total = conversations.length * PER_CONV;
      const statuses: number[] = [];
      await Promise.all(
        conversations.map(async (conv) => {
          for (let i = 0; i < conv.texts.length; i++) {
            const update = conv.update(i);
            const responses = await Promise.all([1, 2, 3].map(() => p.post(update)));
            statuses.push(...responses.map((r) => r.status));
          }
        }),
      );
      await p.api.waitFor(() => p.api.callsTo('sendMessage').length >= total, 240_000).catch(() => undefined);
      // Telegram's late retry of every update, after it was answered.
      for (const conv of conversations) {
        for (let i = 0; i < conv.texts.length; i++) statuses.push((await p.post(conv.update(i))).status);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const report = await checkDelivery(p.api, h.storage, conversations);
      await printFigures({
        suite: `duplicates: webhook 3× + late retry (${queue} queue)`,
        counts: {
          'webhook deliveries': statuses.length,
          'webhook non-200': statuses.filter((s) => s !== 200).length,
          'model requests': h.model.requests.length,
          ...deliveryCounts(report),
        },
        notes: report.details.slice(0, 10),
      });
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(report.details).toEqual([]);
      expect(report).toMatchObject({ lost: 0, duplicateReplies: 0, duplicateTurns: 0, orderViolations: 0 });
      expect(h.model.requests).toHaveLength(total);
    } finally {
      await p.close();
    }
  });
});

describe('SQS re-delivery after the visibility timeout', () => {
  let sqsProxy: FaultProxy;
  let fifo: FifoQueue;
  beforeAll(async () => {
    sqsProxy = await startFaultProxy({ target: fauxqs.endpoint });
  });
  afterAll(async () => {
    fifo?.close();
    await sqsProxy?.close();
  });

  /**
   * Run `count` one-message conversations through a pipeline whose SQS consumer handler is wrapped,
   * wait until no more replies arrive, and report.
   */
  async function run(
    label: string,
    count: number,
    wrap: (handler: QueueHandler) => QueueHandler,
    consumer: {
      visibilityTimeoutSeconds?: number;
      client?: 'direct' | 'proxy';
      quietMs?: number;
      /** The runner of the pipeline (default: the harness's). */
      runner?: AgentRunner;
    } = {},
  ): Promise<{ report: DeliveryReport; modelRequests: number; pipeline: Pipeline }> {
    fifo = await createFifoQueue(fauxqs, {
      visibilityTimeoutSeconds: consumer.visibilityTimeoutSeconds ?? 30,
    });
    const producer = fifo.direct;
    const consumerClient = consumer.client === 'proxy' ? fifo.clientFor(sqsProxy.url) : producer;
    const base = fifo.factory(
      consumerClient,
      consumer.visibilityTimeoutSeconds
        ? { visibilityTimeoutSeconds: consumer.visibilityTimeoutSeconds }
        : {},
      wrap,
    );
    const p = await startPipeline({
      runner: consumer.runner ?? h.runner,
      ...ONE_REPLY_PER_MESSAGE,
      // The producer always talks to fauxqs directly; only the consumer may go through the proxy.
      queueFactory: (handler) => ({
        consumer: base(handler).consumer,
        queue: createSqsQueue({ client: producer, queueUrl: fifo.queueUrl }),
      }),
    });
    h.model.requests.length = 0;
    const conversations = makeConversations(count, 1, label);
    await Promise.all(conversations.map((c) => p.post(c.update(0))));
    // Quiet for a while after the last reply or model request (a re-delivery shows up by then).
    let last = -1;
    let quietSince = Date.now();
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const n = p.api.callsTo('sendMessage').length * 1000 + h.model.requests.length;
      if (n !== last) {
        last = n;
        quietSince = Date.now();
      }
      if (n >= count * 1000 && Date.now() - quietSince > (consumer.quietMs ?? 6000)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const report = await checkDelivery(p.api, h.storage, conversations);
    return { report, modelRequests: h.model.requests.length, pipeline: p };
  }

  /** The handler finishes (turn run, reply sent), then the consumer "dies" before DeleteMessage. */
  const diesBeforeDelete =
    (died: Set<string>) =>
    (handler: QueueHandler): QueueHandler =>
    async (message, delivery) => {
      await handler(message, delivery);
      const id = `${message.key.tenant}:${updateIdOf(message)}`;
      if (!died.has(id)) {
        died.add(id);
        throw new Error('consumer died before DeleteMessage');
      }
    };

  const COUNT = scaled('REDELIVERY_MESSAGES', 3);

  it(
    'a consumer dying before DeleteMessage: the re-delivery is answered from the turn ledger → one turn, one reply',
    { timeout: 180_000 },
    async () => {
      const died = new Set<string>();
      let handled = 0;
      const { report, modelRequests, pipeline } = await run('redeliver', COUNT, (handler) =>
        diesBeforeDelete(died)(async (message, delivery) => {
          handled++;
          await handler(message, delivery);
        }),
      );
      await pipeline.close();
      await printFigures({
        suite: 'duplicates: SQS re-delivery after the reply (turn ledger)',
        counts: {
          'simulated consumer deaths': died.size,
          'deliveries handled': handled,
          'model requests': modelRequests,
          ...deliveryCounts(report),
        },
        notes: report.details.slice(0, 10),
      });
      expect(died.size).toBe(COUNT);
      expect(handled).toBe(2 * COUNT); // every message was re-delivered once…
      expect(report.details).toEqual([]);
      expect(report).toMatchObject({
        lost: 0,
        duplicateReplies: 0,
        duplicateTurns: 0,
        orderViolations: 0,
        corruptTranscripts: 0,
      });
      expect(modelRequests).toBe(COUNT); // …and ran its turn once
    },
  );

  it(
    'a turn slower than the visibility timeout: the heartbeat keeps it invisible → one turn',
    {
      timeout: 180_000,
    },
    async () => {
      h.model.setHandler((request) => delayReply(5000, demoModel(request)));
      try {
        const { report, modelRequests, pipeline } = await run('slow-heartbeat', COUNT, (x) => x, {
          visibilityTimeoutSeconds: 2,
        });
        await pipeline.close();
        await printFigures({
          suite: 'duplicates: turn (≥ 5 s) slower than the visibility timeout (2 s), heartbeat working',
          counts: { 'model requests': modelRequests, ...deliveryCounts(report) },
          notes: report.details.slice(0, 10),
        });
        expect(report.details).toEqual([]);
        expect(report).toMatchObject({ lost: 0, duplicateReplies: 0, duplicateTurns: 0 });
        expect(modelRequests).toBe(COUNT);
      } finally {
        h.model.setHandler(demoModel);
      }
    },
  );

  it(
    'the visibility heartbeat fails during a slow turn: the re-delivery waits for the lease, then finds the turn done',
    {
      timeout: 180_000,
    },
    async () => {
      h.model.setHandler((request) => delayReply(6000, demoModel(request)));
      sqsProxy.setDecide((r) =>
        r.operation === 'ChangeMessageVisibility' ? throttlingFor('sqs') : undefined,
      );
      try {
        let handled = 0;
        const counting =
          (handler: QueueHandler): QueueHandler =>
          async (message, delivery) => {
            handled++;
            await handler(message, delivery);
          };
        const { report, modelRequests, pipeline } = await run('slow-no-heartbeat', 1, counting, {
          visibilityTimeoutSeconds: 2,
          client: 'proxy',
          quietMs: 15_000,
          // Re-deliveries come every 2 s during a turn of 6 s plus the binary's start, which takes
          // seconds on a loaded 2-core machine: each must be able to wait out the whole turn (the
          // harness's 5 s lease wait made one answer "busy" under a full-suite load of 9.7).
          runner: h.runnerWith({ lease: { ttlMs: 30_000, waitMs: 30_000 } }),
        });
        await pipeline.close();
        await printFigures({
          suite: 'duplicates: heartbeat throttled, turn (6 s) > visibility (2 s), turn ledger',
          counts: {
            'ChangeMessageVisibility throttled': sqsProxy.stats.faults['SQS ThrottlingException 400'] ?? 0,
            'deliveries handled': handled,
            'model requests': modelRequests,
            ...deliveryCounts(report),
          },
          notes: [
            'the second delivery waits for the lease; the reply is sent and recorded under the lease,',
            'so it finds the turn done and delivered: nothing runs, nothing is sent',
            ...report.details.slice(0, 5),
          ],
        });
        expect(report.details).toEqual([]);
        expect(report).toMatchObject({
          lost: 0,
          duplicateReplies: 0,
          duplicateTurns: 0,
          orderViolations: 0,
          corruptTranscripts: 0,
        });
        expect(handled).toBeGreaterThanOrEqual(2); // it was re-delivered while the turn ran…
        expect(modelRequests).toBe(1); // …and the turn ran once
      } finally {
        sqsProxy.setDecide(() => undefined);
        h.model.setHandler(demoModel);
      }
    },
  );
});
