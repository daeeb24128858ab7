import { afterEach, describe, expect, it } from 'vitest';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline, type QueueKind } from '../telegram/pipeline.js';
import { FORUM } from '../telegram/updates.js';
import {
  ONE_REPLY_PER_MESSAGE,
  checkDelivery,
  deliveryCounts,
  makeConversations,
  saidText,
  unescapeMarkdown,
} from './support/conversations.js';
import { printFigures, scaled } from './support/figures.js';

/**
 * Concurrency: many conversations at once through the whole local pipeline — webhook (real Update
 * JSON) → queue (in-process, or SQS FIFO on fauxqs) → worker → real runner + real `claude` binary →
 * offline demo model → fake Bot API. Each conversation's messages are posted in order (as Telegram
 * does, one webhook call after another), all conversations at the same time. Then: every message
 * answered exactly once, each conversation's replies in order and each having seen exactly the
 * earlier messages (the demo model says how many), and each stored transcript holding each user
 * message exactly once, in order, with an intact chain.
 *
 * Each real turn costs ~0.5 s of CPU: CI runs 10 conversations × 5 messages on the in-process queue
 * and 10 × 2 on SQS; `npm run soak` runs 10 × 5 on both (RELIABILITY_MEMORY_PER_CONV,
 * RELIABILITY_SQS_PER_CONV, RELIABILITY_CONVERSATIONS).
 */

const CONVERSATIONS = scaled('CONVERSATIONS', 10);
const PER_CONV: Record<QueueKind, number> = {
  memory: scaled('MEMORY_PER_CONV', 5),
  sqs: scaled('SQS_PER_CONV', 2),
};

describe.each<QueueKind>(['memory', 'sqs'])('concurrency through the full pipeline (%s queue)', (queue) => {
  let h: AgentHarness | undefined;
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    await h?.close();
  });

  it(
    `${CONVERSATIONS} conversations × ${PER_CONV[queue]} messages: 0 lost, 0 duplicated, order kept`,
    { timeout: 600_000 },
    async () => {
      h = await startAgentHarness();
      p = await startPipeline({ runner: h.runner, queue, ...ONE_REPLY_PER_MESSAGE });
      const pipeline = p;
      pipeline.api.setChat(FORUM);
      const conversations = makeConversations(CONVERSATIONS, PER_CONV[queue], `conc-${queue}`);
      const total = conversations.reduce((n, c) => n + c.texts.length, 0);
      const postedAt = new Map<string, number>();
      const started = Date.now();

      const statuses = await Promise.all(
        conversations.map(async (conv) => {
          const out: number[] = [];
          for (let i = 0; i < conv.texts.length; i++) {
            postedAt.set(conv.texts[i] as string, Date.now());
            out.push((await pipeline.post(conv.update(i))).status);
          }
          return out;
        }),
      );
      const acked = Date.now() - started;
      const answered = (): number => pipeline.api.callsTo('sendMessage').length;
      await pipeline.api.waitFor(() => answered() >= total, 540_000).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // room for a late duplicate
      const wall = Date.now() - started;

      const latencies: number[] = [];
      for (const call of pipeline.api.callsTo('sendMessage')) {
        const said = saidText(unescapeMarkdown(String(call.params.text)));
        const at = said === undefined ? undefined : postedAt.get(said);
        if (at !== undefined) latencies.push(call.at - at);
      }
      const report = await checkDelivery(pipeline.api, h.storage, conversations);
      await printFigures({
        suite: `concurrency (${queue} queue)`,
        counts: {
          conversations: conversations.length,
          'webhook non-200': statuses.flat().filter((s) => s !== 200).length,
          'model requests': h.model.requests.length,
          'replies received': answered(),
          ...deliveryCounts(report),
          'all webhooks acked (ms)': acked,
          'wall time (ms)': wall,
        },
        latencies: { 'webhook → reply': latencies },
        notes: report.details.slice(0, 10),
      });

      expect(statuses.flat().every((s) => s === 200)).toBe(true);
      expect(report.details).toEqual([]);
      expect(report).toMatchObject({
        lost: 0,
        duplicateReplies: 0,
        orderViolations: 0,
        lostTurns: 0,
        duplicateTurns: 0,
        corruptTranscripts: 0,
      });
      expect(answered()).toBe(total);
      expect(h.model.requests).toHaveLength(total);
    },
  );
});
