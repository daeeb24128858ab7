import { describe, expect, it } from 'vitest';
import { queuedMessage } from './conformance.js';
import { encodeQueuedMessage, messageGroupId } from './message.js';
import { createSqsBatchHandler, type SqsEventRecord } from './sqs-batch.js';
import { updateIdOf } from './message.js';

function record(id: string, chat: string, updateId: number, receiveCount = 1): SqsEventRecord {
  const message = queuedMessage(chat, updateId);
  return {
    messageId: id,
    body: encodeQueuedMessage(message),
    attributes: { ApproximateReceiveCount: String(receiveCount), MessageGroupId: messageGroupId(message) },
  };
}

describe('createSqsBatchHandler', () => {
  it('reports a failed record and every later record of its group, but not other groups', async () => {
    const ran: number[] = [];
    const handle = createSqsBatchHandler({
      handler: async (m) => {
        ran.push(updateIdOf(m) ?? -1);
        if (updateIdOf(m) === 2) throw new Error('boom');
      },
    });
    const result = await handle({
      Records: [record('a1', '1', 1), record('a2', '1', 2), record('b1', '2', 3), record('a3', '1', 4)],
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'a2' }, { itemIdentifier: 'a3' }]);
    expect(ran.sort()).toEqual([1, 2, 3]);
  });

  it('passes the receive count and fails undecodable bodies', async () => {
    const counts: number[] = [];
    const handle = createSqsBatchHandler({
      handler: async (_m, d) => {
        counts.push(d.receiveCount);
      },
    });
    const bad: SqsEventRecord = { messageId: 'x', body: 'not json', attributes: { MessageGroupId: 'g' } };
    const result = await handle({ Records: [record('ok', '3', 5, 4), bad] });
    expect(counts).toEqual([4]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'x' }]);
  });

  it('reports a batch whose only record failed (BatchSize 1) instead of throwing', async () => {
    const handle = createSqsBatchHandler({
      handler: async () => {
        throw new Error('storage down');
      },
    });
    const result = await handle({ Records: [record('only', '4', 6)] });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'only' }]);
  });
});
