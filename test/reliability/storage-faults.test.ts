import { randomInt } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetryStrategy, type PolicyRetryStrategy } from '../../src/aws/index.js';
import { createDynamoClient, toDocumentClient } from '../../src/aws/dynamodb.js';
import { createS3Client } from '../../src/aws/s3.js';
import { OmniError } from '../../src/core/errors.js';
import { conversationKey } from '../../src/core/keys.js';
import {
  createCloudClients,
  createCloudStorage,
  type CloudClients,
} from '../../src/sessions/adapters/cloud/index.js';
import type { Storage } from '../../src/sessions/types.js';
import { startCloudPeers, type CloudPeers } from '../peers/cloud.js';
import { startAgentHarness, type AgentHarness } from '../support/agent-harness.js';
import { startPipeline, type Pipeline } from '../telegram/pipeline.js';
import { FORUM } from '../telegram/updates.js';
import {
  earlierCount,
  makeConversations,
  saidText,
  unescapeMarkdown,
  type TestConversation,
} from './support/conversations.js';
import {
  internalErrorFor,
  randomFaults,
  seededRandom,
  startFaultProxy,
  throttlingFor,
  type FaultProxy,
  type ProxyStats,
} from './support/fault-proxy.js';
import { attribute, describeAttribution, type MessageLife } from './support/attribution.js';
import { percentile, printFigures, scaled } from './support/figures.js';
import { createFifoQueue, type FifoQueue } from './support/sqs.js';
import { checkConversation } from './support/transcripts.js';
import { updateIdOf } from '../../src/queue/message.js';

/**
 * Storage faults: fault-injecting proxies in front of S3 (fauxqs), DynamoDB (DynamoDB Local) and SQS
 * (fauxqs). The whole Telegram pipeline runs through them with the real runner and cloud storage
 * (the shared retry policy of src/aws, 4 attempts). Phase 1: a fault-free baseline with the same counts,
 * then ~20 % of requests to all three services get a 5xx, the service's own throttling error, a
 * connection reset, a lost response or added latency → retries stay bounded, nothing is lost or
 * duplicated, stored transcripts stay intact, and every message slower than 2 × the baseline's p99
 * is attributed to the faults that hit it (the proxies' fault logs); the p99 is reported against
 * issue 18's bound (2 × fault-free p99 + one visibility timeout). Phase 2: 100 % of S3/DynamoDB requests fail → the turn fails with a storage error, the
 * queue retries it, the user is told once, and the message lands in the FIFO DLQ after 5 receives.
 * Phase 3: sustained faults — an outage drains a client's retry quota, then turns run under ~20 %
 * faults, once with the SDK's standard retry mode (the configuration before `src/aws/retry.ts`)
 * and once with the shared policy (docs/reliability.md, finding 3).
 */

const CONVERSATIONS = scaled('FAULT_CONVERSATIONS', 6);
const PER_CONV = scaled('FAULT_PER_CONV', 3);
const RATE = 0.2;
const SEED = scaled('FAULT_SEED', randomInt(1, 2 ** 31));
const MAX_ATTEMPTS = 4;
/** The queue's visibility timeout, and the consumer's while a message runs. */
const VISIBILITY_S = 30;
/** The visibility a receive asks for: what a lost receive can cost on the peers. */
const RECEIVE_VISIBILITY_S = 5;

let peers: CloudPeers;
let bucket: string;
let table: string;
let h: AgentHarness;
let s3Proxy: FaultProxy;
let ddbProxy: FaultProxy;
let sqsProxy: FaultProxy;
let clients: CloudClients;
let storage: Storage;
/** Reads the same bucket/table directly (no proxy) to check what was stored. */
let direct: Storage;
let fifo: FifoQueue;
let p: Pipeline;
/** Receive counts the worker saw, per Telegram update id. */
const deliveries = new Map<number, number[]>();

beforeAll(async () => {
  [peers, h] = await Promise.all([startCloudPeers(), startAgentHarness()]);
  [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
  [s3Proxy, ddbProxy, sqsProxy] = await Promise.all([
    startFaultProxy({ target: peers.fauxqs.endpoint }),
    startFaultProxy({ target: peers.dynamodb.endpoint }),
    startFaultProxy({ target: peers.fauxqs.endpoint }),
  ]);
  clients = createCloudClients({
    region: peers.fauxqs.region,
    s3Endpoint: s3Proxy.url,
    dynamoEndpoint: ddbProxy.url,
    credentials: peers.fauxqs.credentials,
    retry: { maxAttempts: MAX_ATTEMPTS },
  });
  storage = createCloudStorage({ s3: clients.s3, dynamo: clients.dynamo, bucket, table });
  direct = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table, cacheBytes: 0 });
  fifo = await createFifoQueue(peers.fauxqs, { visibilityTimeoutSeconds: VISIBILITY_S });
  const sqs = fifo.clientFor(sqsProxy.url, MAX_ATTEMPTS);
  p = await startPipeline({
    runner: h.runnerWith({ storage }),
    // One final answer per message (no streamed drafts): a slow turn's first draft is not its answer.
    live: { enabled: false },
    queueFactory: fifo.factory(
      sqs,
      {
        retryDelaySeconds: 1,
        visibilityTimeoutSeconds: VISIBILITY_S,
        receiveVisibilitySeconds: RECEIVE_VISIBILITY_S,
      },
      (handler) => async (message, delivery) => {
        deliveries.set(updateIdOf(message) ?? -1, [
          ...(deliveries.get(updateIdOf(message) ?? -1) ?? []),
          delivery.receiveCount,
        ]);
        await handler(message, delivery);
      },
    ),
  });
  p.api.setChat(FORUM);
}, 120_000);

afterAll(async () => {
  await p?.close();
  fifo?.close();
  clients?.destroy();
  await Promise.all([s3Proxy?.close(), ddbProxy?.close(), sqsProxy?.close()]);
  await peers?.stop();
  await h?.close();
});

/** Tokens left in the SDK's standard retry quota of a client (its default strategy's capacity). */
async function sdkCapacity(client: DynamoDBClient): Promise<number> {
  const strategy: unknown = await client.config.retryStrategy();
  const capacity = (strategy as { getCapacity?: () => number }).getCapacity;
  return typeof capacity === 'function' ? capacity.call(strategy) : -1;
}

const sum = <T>(items: T[], f: (item: T) => number): number => items.reduce((n, x) => n + f(x), 0);
const faultsOf = (stats: ProxyStats[]): number =>
  sum(stats, (s) => Object.values(s.faults).reduce((a, b) => a + b, 0));

/** Post like Telegram: retry the same update until the webhook answers 200 (bounded). */
async function postUntilAccepted(conv: TestConversation, i: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const res = await p.post(conv.update(i));
    if (res.status === 200 || attempt >= 10) return attempt;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The `sendMessage` calls answering a message (replies or errors), by `reply_parameters.message_id`. */
function answerCalls(conv: TestConversation, i: number) {
  const messageId = conv.update(i).message?.message_id;
  return p.api
    .callsTo('sendMessage')
    .filter(
      (c) => (c.params.reply_parameters as { message_id?: number } | undefined)?.message_id === messageId,
    );
}

/** Answers (replies or error messages) to a message, as the user reads them. */
function answersTo(conv: TestConversation, i: number): string[] {
  return answerCalls(conv, i).map((c) => unescapeMarkdown(String(c.params.text)));
}

/** What one phase of the ~20 % test measured. */
interface PhaseResult {
  total: number;
  webhookAttempts: number;
  ok: number;
  toldError: number;
  lost: number;
  duplicateReplies: number;
  duplicateTurns: number;
  missingTurns: number;
  corrupt: number;
  errorTexts: Map<string, number>;
  /** Messages not answered normally: the text and what it got (first 200 characters). */
  otherwise: string[];
  details: string[];
  /** Webhook → first answer, per answered message (ms). */
  latencies: number[];
  /** Each answered message's life, for attributing faults to it. */
  lives: MessageLife[];
}

/** Posts CONVERSATIONS × PER_CONV messages through the pipeline, waits for answers, checks everything. */
async function runPhase(tag: string): Promise<PhaseResult> {
  const conversations = makeConversations(CONVERSATIONS, PER_CONV, tag);
  const total = CONVERSATIONS * PER_CONV;
  const postedAt = new Map<string, number>();
  let webhookAttempts = 0;
  await Promise.all(
    conversations.map(async (conv) => {
      for (let i = 0; i < conv.texts.length; i++) {
        postedAt.set(conv.texts[i] as string, Date.now());
        webhookAttempts += await postUntilAccepted(conv, i);
      }
    }),
  );
  const answered = (): number =>
    conversations.reduce((n, c) => n + c.texts.filter((_, i) => answersTo(c, i).length > 0).length, 0);
  await p.api.waitFor(() => answered() >= total, 540_000).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const r: PhaseResult = {
    total,
    webhookAttempts,
    ok: 0,
    toldError: 0,
    lost: 0,
    duplicateReplies: 0,
    duplicateTurns: 0,
    missingTurns: 0,
    corrupt: 0,
    errorTexts: new Map(),
    otherwise: [],
    details: [],
    latencies: [],
    lives: [],
  };
  for (const conv of conversations) {
    const stored = await checkConversation(direct, conv.key);
    if (stored.problems.length > 0) {
      r.corrupt++;
      r.details.push(`${conv.name}: ${stored.problems.join('; ')}`);
    }
    conv.texts.forEach((text, i) => {
      const answers = answersTo(conv, i);
      if (answers.length === 0) r.lost++;
      if (answers.length > 1) r.duplicateReplies += answers.length - 1;
      const normal = answers.find((a) => saidText(a) === text && earlierCount(a) !== undefined);
      if (normal) r.ok++;
      else if (answers.length > 0) {
        r.toldError++;
        const key = (answers[0] as string).slice(0, 70);
        r.errorTexts.set(key, (r.errorTexts.get(key) ?? 0) + 1);
        r.otherwise.push(`"${text}" → ${answers.join(' | ').slice(0, 200)}`);
      }
      const n = stored.userTexts.filter((t) => t === text).length;
      if (n > 1) r.duplicateTurns += n - 1;
      if (n === 0 && normal) {
        r.missingTurns++;
        r.details.push(`${conv.name}: "${text}" was answered but is not in the stored transcript`);
      }
      const at = postedAt.get(text);
      const first = answerCalls(conv, i)[0];
      if (at !== undefined && first) {
        r.latencies.push(first.at - at);
        r.lives.push({
          label: `${conv.name} #${i}`,
          key: conv.key,
          sessionIds: stored.sessionId ? [stored.sessionId] : [],
          texts: conv.texts,
          postedAt: at,
          answeredAt: first.at,
        });
      }
    });
  }
  return r;
}

describe('storage faults through a fault-injecting proxy', () => {
  it(
    `fault-free baseline, then ~${RATE * 100} % faults on S3, DynamoDB and SQS: bounded retries, nothing lost or duplicated, every slow message attributed, transcripts intact`,
    {
      timeout: 600_000,
    },
    async () => {
      // 1. The same pipeline and counts without faults: the latency the target is measured against.
      for (const proxy of [s3Proxy, ddbProxy, sqsProxy]) proxy.setDecide(() => undefined);
      const baseline = await runPhase('baseline');
      const freeP99 = percentile(baseline.latencies, 99);

      // 2. ~20 % faults, lost responses included.
      const random = seededRandom(SEED);
      const decide = randomFaults({ rate: RATE, random, lostResponses: true });
      for (const proxy of [s3Proxy, ddbProxy, sqsProxy]) {
        proxy.resetStats();
        proxy.setDecide(decide);
      }
      const faulted = await runPhase('faults');
      const stats = [s3Proxy, ddbProxy, sqsProxy].map((x) => structuredClone(x.stats));
      for (const proxy of [s3Proxy, ddbProxy, sqsProxy]) proxy.setDecide(() => undefined);
      const faultedP99 = percentile(faulted.latencies, 99);

      // 3. Every slow message (> 2 × the fault-free p99) and the faults that hit it.
      const slowMs = 2 * freeP99;
      const attributed = attribute(
        faulted.lives,
        stats.flatMap((x) => x.faultLog),
      ).filter((a) => a.latencyMs > slowMs);
      const unexplained = attributed.filter((a) => a.own.length === 0 && a.shared.length === 0);
      const bound = 2 * freeP99 + RECEIVE_VISIBILITY_S * 1000;
      const issueBound = 2 * freeP99 + VISIBILITY_S * 1000;

      const byService = (name: string, s: ProxyStats): Record<string, number> => ({
        [`${name} requests`]: s.requests,
        [`${name} faults injected`]: faultsOf([s]),
        [`${name} SDK retries`]: s.retries,
        [`${name} max attempt seen`]: s.maxAttempt,
      });
      const faultKinds: Record<string, number> = {};
      for (const s of stats)
        for (const [k, v] of Object.entries(s.faults))
          faultKinds[`fault: ${k}`] = (faultKinds[`fault: ${k}`] ?? 0) + v;
      const perOperation = stats.flatMap((s, i) =>
        Object.entries(s.byOperation)
          .filter(([, o]) => Object.keys(o.faults).length > 0)
          .map(
            ([op, o]) =>
              `${['S3', 'DynamoDB', 'SQS'][i]} ${op}: ${o.requests} requests, ${o.retries} retries, faults ${Object.entries(
                o.faults,
              )
                .map(([k, v]) => `${k} ×${v}`)
                .join(', ')}`,
          ),
      );
      await printFigures({
        suite: `storage faults: fault-free baseline, then ~${RATE * 100} % of S3/DynamoDB/SQS requests (seed ${SEED})`,
        counts: {
          'messages sent per phase': baseline.total,
          'baseline: answered normally': baseline.ok,
          'baseline: told a clear error': baseline.toldError,
          'baseline: lost': baseline.lost,
          'webhook attempts (Telegram-style retries)': faulted.webhookAttempts,
          'answered normally': faulted.ok,
          'told a clear error': faulted.toldError,
          lost: faulted.lost,
          'duplicate replies': faulted.duplicateReplies,
          'duplicate turns (transcript)': faulted.duplicateTurns,
          'answered but missing from transcript': faulted.missingTurns,
          'corrupt transcripts': faulted.corrupt,
          ...byService('S3', stats[0] as ProxyStats),
          ...byService('DynamoDB', stats[1] as ProxyStats),
          ...byService('SQS', stats[2] as ProxyStats),
          ...faultKinds,
          'messages in the DLQ': await fifo.deadLetterCount(),
          'fault-free p99 (ms)': Math.round(freeP99),
          'faulted p99 (ms)': Math.round(faultedP99),
          [`bound 2 × fault-free p99 + receive visibility ${RECEIVE_VISIBILITY_S} s (ms)`]: Math.round(bound),
          [`bound 2 × fault-free p99 + visibility ${VISIBILITY_S} s (issue 18's target, ms)`]:
            Math.round(issueBound),
          'faulted p99 within the receive-visibility bound': faultedP99 <= bound ? 1 : 0,
          'faulted p99 within the target': faultedP99 <= issueBound ? 1 : 0,
          'slow messages (> 2 × fault-free p99)': attributed.length,
          'slow, a fault of its own conversation': attributed.filter((a) => a.own.length > 0).length,
          'slow, only shared faults (tenant-wide items, keyless receives)': attributed.filter(
            (a) => a.own.length === 0 && a.shared.length > 0,
          ).length,
          'slow, unexplained': unexplained.length,
        },
        latencies: { 'baseline: webhook → reply': baseline.latencies, 'webhook → reply': faulted.latencies },
        notes: [
          ...attributed.map((a) => `slow: ${describeAttribution(a)}`),
          // The slowest three whether slow or not: what the faults cost when none crossed the line.
          ...attribute(
            faulted.lives,
            stats.flatMap((x) => x.faultLog),
          )
            .sort((a, b) => b.latencyMs - a.latencyMs)
            .slice(0, 3)
            .map((a) => `slowest: ${describeAttribution(a)}`),
          ...baseline.otherwise.map((o) => `baseline, not answered normally: ${o}`),
          ...faulted.otherwise.map((o) => `not answered normally: ${o}`),
          ...perOperation,
          ...[...faulted.errorTexts].map(([t, n]) => `${n}× error told: ${t}`),
          ...faulted.details.slice(0, 10),
        ],
      });

      expect(baseline.lost).toBe(0);
      expect(faulted.lost).toBe(0);
      expect(faulted.duplicateReplies).toBe(0);
      expect(faulted.duplicateTurns).toBe(0);
      expect(faulted.corrupt).toBe(0);
      expect(faulted.missingTurns).toBe(0);
      expect(faulted.details).toEqual([]);
      // Bounded: no call was tried more than maxAttempts times by the AWS SDK.
      for (const s of stats) expect(s.maxAttempt).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(faultsOf(stats)).toBeGreaterThan(0);
      expect(faulted.ok).toBeGreaterThan(0);
      // Every slow message has a cause in the fault log.
      expect(unexplained.map(describeAttribution)).toEqual([]);
    },
  );

  it(
    '100 % S3/DynamoDB faults: a clear storage error, the queue retries, the DLQ after 5 receives',
    {
      timeout: 300_000,
    },
    async () => {
      const failAll = (r: Parameters<typeof throttlingFor>[0]) =>
        Math.random() < 0.5 ? throttlingFor(r) : internalErrorFor(r);
      for (const proxy of [s3Proxy, ddbProxy]) {
        proxy.resetStats();
        proxy.setDecide((r) => failAll(r.service));
      }
      sqsProxy.resetStats();
      sqsProxy.setDecide(() => undefined);
      const before = await fifo.deadLetterCount();
      const [conv] = makeConversations(1, 1, 'outage') as [TestConversation];
      const started = Date.now();
      expect((await p.post(conv.update(0))).status).toBe(200);
      let deadLetters = before;
      const deadline = Date.now() + 240_000;
      while (Date.now() < deadline) {
        deadLetters = await fifo.deadLetterCount();
        if (deadLetters > before && answersTo(conv, 0).length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const elapsed = Date.now() - started;
      const stats = [s3Proxy, ddbProxy].map((x) => structuredClone(x.stats));
      for (const proxy of [s3Proxy, ddbProxy]) proxy.setDecide(() => undefined);
      const received = deliveries.get(conv.update(0).update_id) ?? [];
      const receives = received.length;
      const answers = answersTo(conv, 0);
      await printFigures({
        suite: 'storage faults: 100 % of S3/DynamoDB requests fail',
        counts: {
          'DynamoDB requests': stats[1]?.requests ?? 0,
          'DynamoDB SDK retries': stats[1]?.retries ?? 0,
          'DynamoDB max attempt seen': stats[1]?.maxAttempt ?? 0,
          'S3 requests': stats[0]?.requests ?? 0,
          'messages in the DLQ': deadLetters - before,
          'deliveries before the DLQ': receives,
          'receive counts seen by the worker': Math.max(0, ...received),
          'messages told to the user': answers.length,
          'time to the DLQ (ms)': elapsed,
        },
        notes: [
          ...answers.map((a) => `told: ${a}`),
          ...((stats[1]?.maxAttempt ?? 0) < MAX_ATTEMPTS
            ? ['fewer than 4 attempts: a call met the retry quota or its 10 s cap (see docs/reliability.md)']
            : []),
        ],
      });
      expect(deadLetters - before).toBe(1);
      expect(receives).toBe(5);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toMatch(/storage_(error|throttled)/);
      for (const s of stats) expect(s.maxAttempt).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(earlierCount(answers[0] ?? '')).toBeUndefined();
    },
  );

  it(
    'sustained faults: the SDK standard quota drains and turns fail on their first error; the shared policy keeps retrying',
    { timeout: 600_000 },
    async () => {
      const failAll = (r: Parameters<typeof throttlingFor>[0]) =>
        Math.random() < 0.5 ? throttlingFor(r) : internalErrorFor(r);
      const TURNS = scaled('FAULT_DRAIN_TURNS', 8);
      const OUTAGE_CALLS = 40;
      const seed = SEED + 1;
      const rows: Array<Record<string, number>> = [];
      const notes: string[] = [];
      const outcomes: Record<
        string,
        {
          ok: number;
          failed: number;
          quotaAfterOutage: number;
          refusedQuota: number;
          strategies: PolicyRetryStrategy[];
        }
      > = {};
      for (const policy of ['sdk-standard', 'shared'] as const) {
        // Before: what sessions' clients.ts configured (standard mode, 4 attempts). After: the
        // builders of src/aws (a strategy per client, as they make one; kept here to read its counters).
        const common = { region: peers.fauxqs.region, credentials: { ...peers.fauxqs.credentials } };
        const strategies = policy === 'shared' ? [createRetryStrategy(), createRetryStrategy()] : [];
        const [s3Strategy, ddbStrategy] = strategies;
        const sdk = { ...common, maxAttempts: MAX_ATTEMPTS, retryMode: 'standard' as const };
        const s3: S3Client = s3Strategy
          ? createS3Client({ ...common, endpoint: s3Proxy.url, retryStrategy: s3Strategy })
          : new S3Client({ ...sdk, endpoint: s3Proxy.url, forcePathStyle: true });
        const raw: DynamoDBClient = ddbStrategy
          ? createDynamoClient({ ...common, endpoint: ddbProxy.url, retryStrategy: ddbStrategy })
          : new DynamoDBClient({ ...sdk, endpoint: ddbProxy.url });
        const doc = toDocumentClient(raw);
        const store = createCloudStorage({ s3, dynamo: doc, bucket, table });
        const runner = h.runnerWith({ storage: store });
        try {
          // 1. An outage: every S3/DynamoDB request fails while 2 × 40 calls retry.
          for (const proxy of [s3Proxy, ddbProxy]) {
            proxy.resetStats();
            proxy.setDecide((r) => failAll(r.service));
          }
          const outage = await Promise.allSettled([
            ...Array.from({ length: OUTAGE_CALLS }, (_, i) =>
              doc.send(new GetCommand({ TableName: table, Key: { pk: 'outage', sk: `${policy}-${i}` } })),
            ),
            ...Array.from({ length: OUTAGE_CALLS }, (_, i) =>
              s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `outage/${policy}/${i}` })),
            ),
          ]);
          const outageStats = [s3Proxy, ddbProxy].map((x) => structuredClone(x.stats));
          const quotaAfterOutage = ddbStrategy ? ddbStrategy.quotaLeft() : await sdkCapacity(raw);
          const refusedBefore = sum(strategies, (x) => x.stats.refusedQuota);
          // 2. The fault period goes on at ~20 %: turns, 4 at a time.
          const random = seededRandom(seed);
          const decide = randomFaults({ rate: RATE, random });
          for (const proxy of [s3Proxy, ddbProxy]) {
            proxy.resetStats();
            proxy.setDecide(decide);
          }
          const results: Array<{ ok: boolean; code: string | undefined }> = [];
          for (let i = 0; i < TURNS; i += 4) {
            const batch = Array.from({ length: Math.min(4, TURNS - i) }, (_, j) => i + j);
            results.push(
              ...(await Promise.all(
                batch.map(async (n) => {
                  const key = conversationKey({ tenant: 'drain', chat: `${policy}-${seed}-${n}` });
                  // A storage failure before the model (e.g. the lease) throws; after it, is_error.
                  try {
                    const result = await runner.runTurn({ key, text: `sustained ${policy} ${n}` });
                    return { ok: !result.is_error, code: result.error_code ?? undefined };
                  } catch (err) {
                    return { ok: false, code: err instanceof OmniError ? err.code : 'thrown' };
                  }
                }),
              )),
            );
          }
          const stats = [s3Proxy, ddbProxy].map((x) => structuredClone(x.stats));
          for (const proxy of [s3Proxy, ddbProxy]) proxy.setDecide(() => undefined);
          const ok = results.filter((r) => r.ok).length;
          const refusedQuota = sum(strategies, (x) => x.stats.refusedQuota) - refusedBefore;
          outcomes[policy] = { ok, failed: results.length - ok, quotaAfterOutage, refusedQuota, strategies };
          const codes = new Map<string, number>();
          for (const r of results) if (!r.ok) codes.set(r.code ?? '?', (codes.get(r.code ?? '?') ?? 0) + 1);
          notes.push(
            `${policy}: outage calls failed ${outage.filter((o) => o.status === 'rejected').length}/${outage.length}; failed turns by code: ${[...codes].map(([c, n]) => `${c} ×${n}`).join(', ') || 'none'}`,
          );
          rows.push({
            [`${policy}: outage S3+DynamoDB requests`]: sum(outageStats, (x) => x.requests),
            [`${policy}: outage SDK retries`]: sum(outageStats, (x) => x.retries),
            [`${policy}: quota left after the outage (DynamoDB client, ${ddbStrategy ? 'retries' : 'SDK tokens'})`]:
              quotaAfterOutage,
            [`${policy}: turns under ~${RATE * 100} % faults`]: results.length,
            [`${policy}: turns answered`]: ok,
            [`${policy}: turns failed`]: results.length - ok,
            [`${policy}: S3+DynamoDB requests`]: sum(stats, (x) => x.requests),
            [`${policy}: faults injected`]: faultsOf(stats),
            [`${policy}: SDK retries`]: sum(stats, (x) => x.retries),
            [`${policy}: max attempt seen`]: Math.max(...stats.map((x) => x.maxAttempt)),
            ...(ddbStrategy
              ? {
                  [`${policy}: retries refused by the quota`]: refusedQuota,
                }
              : {}),
          });
          for (const x of stats) expect(x.maxAttempt).toBeLessThanOrEqual(MAX_ATTEMPTS);
        } finally {
          await store.close();
          s3.destroy();
          raw.destroy();
        }
      }
      await printFigures({
        suite: `storage faults: sustained (an outage of ${2 * OUTAGE_CALLS} calls, then ${TURNS} turns at ~${RATE * 100} %; seed ${seed})`,
        counts: Object.assign({}, ...rows) as Record<string, number>,
        notes,
      });
      const before = outcomes['sdk-standard'];
      const after = outcomes['shared'];
      // The drain reproduced, deterministically: the outage left the SDK's quota (500 tokens) below
      // the cost of one retry of a transient error (14 tokens; 5 for a throttle), so the next such
      // faults are not retried. How many turns that fails is luck (figures above: typically 3–4 of
      // 8), so it is reported, not asserted.
      expect(before?.quotaAfterOutage).toBeLessThan(14);
      // The shared policy never starved: its quota was not spent by the outage, no retry was refused
      // by it during the fault period, and a turn may only fail where one call met a fault on all of
      // its attempts or ran out of time (rare bad luck, counted by the strategy).
      expect(after?.quotaAfterOutage).toBeGreaterThan(0);
      expect(after?.refusedQuota).toBe(0);
      const used = sum(after?.strategies ?? [], (x) => x.stats.refusedAttempts + x.stats.refusedTime);
      expect(after?.failed ?? 0).toBeLessThanOrEqual(used);
    },
  );
});
