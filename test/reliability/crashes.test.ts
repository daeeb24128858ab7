import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationKey, type ConversationKey } from '../../src/core/keys.js';
import { demoModel, startModelServer, userTexts, type ModelServer } from '../../src/model/index.js';
import { createSqsQueue } from '../../src/queue/sqs-producer.js';
import type { ConversationQueue } from '../../src/queue/types.js';
import { createCloudStorage } from '../../src/sessions/adapters/cloud/index.js';
import type { Storage } from '../../src/sessions/types.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../fakes/telegram-api.js';
import { startCloudPeers, type CloudPeers } from '../peers/cloud.js';
import { earlierCount, unescapeMarkdown } from './support/conversations.js';
import { startFaultProxy, seededRandom, type FaultProxy } from './support/fault-proxy.js';
import { percentile, printFigures, scaled } from './support/figures.js';
import { createFifoQueue, type FifoQueue } from './support/sqs.js';
import { checkConversation } from './support/transcripts.js';
import { spawnWorker, type WorkerHandle } from './support/worker-handle.js';
import type { WorkerProcessConfig } from './worker-process.js';

/**
 * Crashes: the worker runs as its own Node process (cloud storage on the peers, SQS FIFO on
 * fauxqs, replies to the fake Bot API) and is killed with SIGKILL — its whole process group, the
 * `claude` child included — at a chosen point of a turn, after a random extra delay:
 *   - `model`:  the model server holds the reply (the turn is at the model);
 *   - `append`: a main-transcript append is in progress (the store hook pauses before and after
 *               the write reaches S3/DynamoDB, so the kill lands before or after the commit);
 *   - `reply`:  the turn is stored and the reply's `sendMessage` is held by a proxy in front of the
 *               fake Bot API.
 * A warm spare worker takes over (its leases: 3 s TTL; the queue's visibility timeout: 3 s). After
 * each kill the conversation gets a follow-up message. Checked after every kill and at the end:
 * every transcript loads and its chain is intact, every committed turn is still stored, the
 * follow-up is answered, and every user message got a reply or an explicit error message.
 * No message may run its turn twice, whatever the kill point: the runner's turn ledger (request id
 * `tg:<update_id>`) finishes a turn that was stored before the kill from the transcript instead of
 * running it again, and replays a recorded result. No message may get two replies either: the
 * `reply` kill holds the `sendMessage` until the worker is dead, so the reply never left; the one
 * window left — a kill after Telegram accepted the reply and before the ledger recorded it as
 * delivered — would re-send the reply (never re-run the turn), and is not produced by these points.
 */

const KILLS = scaled('KILLS', 21);
const CONVERSATION_COUNT = 4;
const POINTS = ['model', 'append', 'reply'] as const;
type KillPoint = (typeof POINTS)[number];
const SEED = scaled('CRASH_SEED', randomInt(1, 2 ** 31));
const LEASE_TTL_MS = 3000;
const VISIBILITY_S = 3;
const APPEND_PAUSE_MS = 400;

interface SentMessage {
  conv: number;
  text: string;
  messageId: number;
  sentAt: number;
  /** The kill point if this message was interrupted by a kill. */
  interruptedAt?: KillPoint;
}

let peers: CloudPeers;
let model: ModelServer;
let api: FakeTelegramApi;
let telegramProxy: FaultProxy;
let fifo: FifoQueue;
let producer: ConversationQueue;
let storage: Storage;
let bucket: string;
let table: string;
let dir: string;

beforeAll(async () => {
  [peers, model, api] = await Promise.all([startCloudPeers(), startModelServer(), startFakeTelegramApi()]);
  [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
  telegramProxy = await startFaultProxy({ target: api.apiRoot });
  fifo = await createFifoQueue(peers.fauxqs, { visibilityTimeoutSeconds: VISIBILITY_S });
  producer = createSqsQueue({ client: fifo.direct, queueUrl: fifo.queueUrl });
  storage = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table, cacheBytes: 0 });
  dir = await mkdtemp(join(tmpdir(), 'omni-rel-crash-'));
}, 120_000);

afterAll(async () => {
  fifo?.close();
  await telegramProxy?.close();
  await api?.close();
  await model?.close();
  await peers?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('crashes: kill -9 the worker process at random points of a turn', () => {
  it(
    `${KILLS} kills: no corrupt transcript, committed turns survive, nothing silently dropped`,
    {
      timeout: 900_000,
    },
    async () => {
      const random = seededRandom(SEED);
      const workerConfig = (point: KillPoint): WorkerProcessConfig => ({
        storage: {
          kind: 'cloud',
          s3Endpoint: peers.fauxqs.endpoint,
          dynamoEndpoint: peers.dynamodb.endpoint,
          bucket,
          table,
        },
        sqsEndpoint: peers.fauxqs.endpoint,
        queueUrl: fifo.queueUrl,
        telegramApiRoot: telegramProxy.url,
        token: api.token,
        botInfo: api.botInfo,
        modelUrl: model.url,
        leaseTtlMs: LEASE_TTL_MS,
        leaseWaitMs: 8000,
        visibilityTimeoutSeconds: VISIBILITY_S,
        appendPauseMs: point === 'append' ? APPEND_PAUSE_MS : 0,
        waitForGo: true,
      });
      const pointOf = (cycle: number): KillPoint => POINTS[cycle % POINTS.length] as KillPoint;
      const convKeys: ConversationKey[] = Array.from({ length: CONVERSATION_COUNT }, (_, i) =>
        conversationKey({ tenant: 'default', chat: 7000 + i }),
      );
      const sent: SentMessage[] = [];
      let nextUpdate = 900_000;
      const send = async (conv: number, text: string): Promise<SentMessage> => {
        const id = nextUpdate++;
        const message: SentMessage = { conv, text, messageId: id, sentAt: Date.now() };
        sent.push(message);
        await producer.enqueue({
          kind: 'agent',
          key: convKeys[conv] as ConversationKey,
          source: { type: 'telegram', updateId: id, replyTo: { chatId: 7000 + conv, replyToMessageId: id } },
          text,
          messageTime: Date.now(),
        });
        return message;
      };
      /** Replies (or error messages) sent in reply to a user message. */
      const answersTo = (messageId: number): string[] =>
        api
          .callsTo('sendMessage')
          .filter(
            (c) =>
              (c.params.reply_parameters as { message_id?: number } | undefined)?.message_id === messageId,
          )
          .map((c) => unescapeMarkdown(String(c.params.text)));

      // Hold points.
      let modelHold: { text: string; arrived: () => void; release: Promise<void> } | undefined;
      model.setHandler(async (request) => {
        const hold = modelHold;
        if (hold && userTexts(request).at(-1) === hold.text) {
          modelHold = undefined;
          hold.arrived();
          await hold.release;
        }
        return demoModel(request);
      });
      let releaseTelegram: () => void = () => undefined;

      const figures = {
        kills: { model: 0, append: 0, reply: 0 } as Record<KillPoint, number>,
        killedAfterCommit: 0,
        followUpsAnswered: 0,
        followUpErrors: 0,
        corruptChecks: 0,
        lostCommitted: 0,
        takeoverMs: [] as number[],
      };
      const problems: string[] = [];
      /** Texts whose turn was confirmed committed (a normal reply quoting them was seen). */
      const committed = new Map<number, Set<string>>();

      const spares: Array<Promise<WorkerHandle>> = [];
      const workers: WorkerHandle[] = [];
      let current = await spawnWorker(workerConfig(pointOf(0)));
      workers.push(current);
      await current.waitEvent((e) => e.event === 'ready');
      current.go();
      spares.push(spawnWorker(workerConfig(pointOf(1))));

      for (let cycle = 0; cycle < KILLS; cycle++) {
        const point = pointOf(cycle);
        const conv = cycle % CONVERSATION_COUNT;
        const text = `crash cycle ${cycle} conv ${conv} (${point})`;
        let arrived!: () => void;
        const atPoint = new Promise<void>((resolve) => (arrived = resolve));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        if (point === 'model') modelHold = { text, arrived, release: released };
        if (point === 'reply') {
          let held = false;
          telegramProxy.setDecide((r) => {
            if (held || r.operation !== 'sendMessage') return undefined;
            const body = JSON.parse(r.body.toString('utf8') || '{}') as { chat_id?: number };
            if (Number(body.chat_id) !== 7000 + conv) return undefined;
            held = true;
            arrived();
            return { kind: 'hold', until: released };
          });
          releaseTelegram = release;
        }
        const handled = current.events.length;
        const interrupted = await send(conv, text);
        interrupted.interruptedAt = point;
        if (point === 'append') {
          await current.waitEvent(
            (e) => e.event === 'append-start' && e.subpath === '' && current.events.indexOf(e) >= handled,
            90_000,
          );
          arrived();
        }
        await Promise.race([
          atPoint,
          current.waitEvent(
            (e) => e.event === 'handle-failed' && current.events.indexOf(e) >= handled,
            90_000,
          ),
        ]);
        const extra =
          point === 'append'
            ? Math.floor(random() * (2 * APPEND_PAUSE_MS + 200))
            : Math.floor(random() * 300);
        await new Promise((resolve) => setTimeout(resolve, extra));
        const wasCommitted = current.events.some(
          (e, i) => i >= handled && e.event === 'append-done' && e.subpath === '',
        );
        await current.kill();
        const killedAt = Date.now();
        figures.kills[point]++;
        if (wasCommitted || point === 'reply') figures.killedAfterCommit++;
        await new Promise((resolve) => setTimeout(resolve, 100)); // the proxy sees the dead socket first
        release();
        releaseTelegram();
        telegramProxy.setDecide(() => undefined);

        // The warm spare takes over; start the next spare meanwhile.
        current = await (spares.shift() as Promise<WorkerHandle>);
        workers.push(current);
        await current.waitEvent((e) => e.event === 'ready');
        current.go();
        spares.push(spawnWorker(workerConfig(pointOf(cycle + 2))));

        // The interrupted message comes back after the visibility timeout; a follow-up waits behind it.
        const followUp = await send(conv, `follow-up after cycle ${cycle} conv ${conv}`);
        try {
          await api.waitFor(() => answersTo(followUp.messageId).length > 0, 90_000);
        } catch {
          problems.push(
            `cycle ${cycle} (${point}): follow-up not answered; worker stderr: ${current.stderr().slice(-500)}`,
          );
        }
        const interruptedAnswer = answersTo(interrupted.messageId);
        if (interruptedAnswer.length > 0) figures.takeoverMs.push(Date.now() - killedAt);
        const followAnswer = answersTo(followUp.messageId)[0] ?? '';
        if (earlierCount(followAnswer) !== undefined) figures.followUpsAnswered++;
        else figures.followUpErrors++;

        // Transcript checks after every kill.
        const stored = await checkConversation(storage, convKeys[conv] as ConversationKey);
        if (stored.problems.length > 0) {
          figures.corruptChecks++;
          problems.push(`cycle ${cycle} (${point}): ${stored.problems.join('; ')}`);
        }
        const mine = committed.get(conv) ?? new Set<string>();
        for (const t of mine) {
          if (!stored.userTexts.includes(t)) {
            figures.lostCommitted++;
            problems.push(`cycle ${cycle} (${point}): committed turn "${t}" is missing`);
          }
        }
        for (const m of sent.filter((s) => s.conv === conv)) {
          if (answersTo(m.messageId).some((a) => earlierCount(a) !== undefined)) mine.add(m.text);
        }
        committed.set(conv, mine);
      }
      await current.stop();
      for (const spare of spares) await (await spare).kill();

      // Final accounting over every message sent.
      let silentlyDropped = 0;
      let answeredWithError = 0;
      let duplicateReplies = 0;
      const problemsNoted: string[] = [];
      const duplicateTurns: Record<KillPoint | 'none', number> = { model: 0, append: 0, reply: 0, none: 0 };
      for (const m of sent) {
        const answers = answersTo(m.messageId);
        if (answers.length === 0) {
          silentlyDropped++;
          problems.push(`message "${m.text}" got no reply and no error message`);
        }
        if (answers.length > 0 && answers.every((a) => earlierCount(a) === undefined)) answeredWithError++;
        if (answers.length > 1) {
          duplicateReplies += answers.length - 1;
          problemsNoted.push(`duplicate reply to "${m.text}" (kill point: ${m.interruptedAt ?? 'none'})`);
        }
      }
      let entries = 0;
      for (const [i, key] of convKeys.entries()) {
        const stored = await checkConversation(storage, key);
        entries += stored.entries;
        if (stored.problems.length > 0) {
          figures.corruptChecks++;
          problems.push(`final conv ${i}: ${stored.problems.join('; ')}`);
        }
        for (const m of sent.filter((s) => s.conv === i)) {
          const n = stored.userTexts.filter((t) => t === m.text).length;
          if (n > 1) duplicateTurns[m.interruptedAt ?? 'none'] += n - 1;
        }
      }
      const deadLetters = await fifo.deadLetterCount();
      const turnEvents = workers.flatMap((w) => w.events).flatMap((e) => (e.event === 'turn' ? [e] : []));
      const replayed = (kind: string) => turnEvents.filter((e) => e.replayed === kind).length;

      await printFigures({
        suite: 'crashes (kill -9 of a worker process, cloud storage, SQS FIFO)',
        counts: {
          'kills total': KILLS,
          'kills before the model answered': figures.kills.model,
          'kills while appending': figures.kills.append,
          'kills after the turn was stored, before the reply': figures.kills.reply,
          'kills after the main append committed (any point)': figures.killedAfterCommit,
          'messages sent': sent.length,
          'silently dropped': silentlyDropped,
          'answered with an error message': answeredWithError,
          'follow-ups answered normally': figures.followUpsAnswered,
          'corrupt transcript checks': figures.corruptChecks,
          'committed turns lost': figures.lostCommitted,
          'messages in the DLQ': deadLetters,
          'turns answered from the ledger (recorded result)': replayed('done'),
          'turns finished from the transcript (stored before the kill)': replayed('recovered'),
          'of which the reply could not be read back (turn_interrupted)': turnEvents.filter(
            (e) => e.errorCode === 'turn_interrupted',
          ).length,
          'duplicate replies': duplicateReplies,
          'duplicate turns (kill before the model answered)': duplicateTurns.model,
          'duplicate turns (kill while appending)': duplicateTurns.append,
          'duplicate turns (kill before the reply)': duplicateTurns.reply,
          'duplicate turns (messages not interrupted)': duplicateTurns.none,
          'stored entries checked (final)': entries,
          seed: SEED,
        },
        latencies: { 'kill → interrupted message answered': figures.takeoverMs },
        notes: [
          `takeover p50 ${percentile(figures.takeoverMs, 50)} ms (visibility ${VISIBILITY_S} s, lease TTL ${LEASE_TTL_MS} ms)`,
          'duplicate turns and duplicate replies must be 0 at every kill point (turn ledger)',
          ...problems.slice(0, 10),
        ],
      });

      expect(problems).toEqual([]);
      expect(silentlyDropped).toBe(0);
      expect(figures.corruptChecks).toBe(0);
      expect(figures.lostCommitted).toBe(0);
      expect(figures.followUpsAnswered).toBe(KILLS);
      expect(duplicateTurns).toEqual({ model: 0, append: 0, reply: 0, none: 0 });
      expect(duplicateReplies).toBe(0);
      expect(problemsNoted).toEqual([]);
      expect(deadLetters).toBe(0);
    },
  );
});
