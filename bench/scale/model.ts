import { costOf, emptyUsage, scaleCost, type Cost } from './costs.js';
import { createDispatcher, type QueuedJob } from './dispatcher.js';
import { createDynamoKeys } from './dynamo-keys.js';
import { createSimulation } from './event-queue.js';
import { createLambdaPool } from './lambda-pool.js';
import { createSample, round } from './metrics.js';
import { PER_TURN } from './per-turn.js';
import { createRng } from './prng.js';
import { createTokenBucket } from './rate-limit.js';
import type { Settings, Shape } from './shapes.js';
import { createTelegramSends } from './telegram-sends.js';
import { startTraffic, turnsPerDay, type Arrival } from './traffic.js';

interface Job extends QueuedJob, Arrival {
  /** The turn's own time (runner overhead + model) and reply size, drawn at arrival. */
  serviceS: number;
  replyParts: number;
}

export interface ShapeReport {
  shape: string;
  settings: Settings;
  simulated_s: number;
  turns: number;
  queue_delay_p50_s: number;
  queue_delay_p99_s: number;
  queue_delay_max_s: number;
  /** The part of the queue delay spent waiting for a worker slot (not behind the own conversation). */
  slot_wait_p50_s: number;
  slot_wait_p99_s: number;
  /** Queue delay p99 of the other tenants and of the flooding tenant (all its turns). */
  others_queue_delay_p99_s: number;
  flood_queue_delay_p99_s: number;
  /** Slot wait p99 of the other tenants: what a noisy neighbour costs them. */
  others_slot_wait_p99_s: number;
  /** Message in → last reply part accepted by Telegram. */
  reply_latency_p50_s: number;
  reply_latency_p99_s: number;
  peak_in_flight: number;
  peak_queued: number;
  cold_starts: number;
  peak_environments: number;
  dynamo_write_throttles: number;
  dynamo_read_throttles: number;
  counter_item_throttles: number;
  hot_partitions: number;
  turns_delayed_by_throttles: number;
  turns_failed: number;
  telegram_429_per_chat: number;
  telegram_429_per_bot: number;
  telegram_typing_calls: number;
  /** Most turns of one bot running at once (÷ 4 s = its typing calls a second). */
  peak_bot_in_flight: number;
  model_429: number;
  peak_model_rpm: number;
  max_group_concurrency: number;
  cost_per_1000_turns: Cost;
  turns_per_day: number;
  cost_per_day: Cost;
  events: number;
  wall_ms: number;
}

export type Overrides = Partial<Settings>;

/** Replays the shape's window through the queue, Lambda, DynamoDB, Telegram and model limits. */
export function runShape(shape: Shape, overrides: Overrides = {}, seed = 1): ShapeReport {
  const started = performance.now();
  const settings: Settings = { ...shape.settings, ...overrides };
  const sim = createSimulation();
  sim.run(shape.window.fromS);
  // Three streams, so every variant of a shape sees the same messages and the same turns.
  const trafficRng = createRng(seed);
  const workRng = createRng(seed ^ 0x5bd1e995);
  const rng = createRng(seed ^ 0x27d4eb2f);
  const usage = emptyUsage();
  const queueDelay = createSample();
  const othersDelay = createSample();
  const floodDelay = createSample();
  const replyLatency = createSample();
  const slotWait = createSample();
  const othersSlotWait = createSample();
  const floodTenant = shape.traffic.flood?.tenant ?? -1;
  // "Others": every turn not of the flooding tenant (with one tenant: every turn not of the flood).
  const isOther = (j: Job): boolean => !j.flood && (shape.traffic.tenants === 1 || j.tenant !== floodTenant);
  const modelLimit = createTokenBucket(settings.modelRpm / 60, settings.modelRpm / 60);
  const dynamo = createDynamoKeys({ sim, rng, maxAttempts: 4, throttleBackoffS: 0.5 });
  const telegram = createTelegramSends({ sim, mode: settings.telegram });
  const pool = createLambdaPool({
    coldStartS: shape.lambda.coldStartS,
    idleTtlS: shape.lambda.idleTtlS,
    scaleRatePerS: 100,
    scaleBurst: 1000,
    prewarmed: shape.lambda.prewarmed,
  });
  const turnsOfGroup = new Map<number, number>();
  const botInFlight = new Map<number, number>();
  const modelMinute = new Map<number, number>();
  let peakInFlight = 0;
  let peakQueued = 0;
  let peakBot = 0;
  let typing = 0;
  let delayedByThrottles = 0;
  let failed = 0;
  let model429 = 0;
  const D = PER_TURN.dynamodb;
  const usageWcu = D.usageWcu;

  // Partition keys as numbers: a tenant's pk, a conversation's pk, a usage shard's pk.
  const CONV_PK = 1e8;
  const USAGE_PK = 2e8;
  const COUNTER_ITEM = 3e8;
  const sessionKey = (j: Job): number => (settings.keys === 'tenant' ? j.tenant : CONV_PK + j.group);
  const usageKey = (j: Job, shard: number): number =>
    settings.keys === 'tenant' ? j.tenant : USAGE_PK + j.tenant * 64 + shard;
  const replyParts = (): number => {
    const u = workRng.next();
    const [one, two] = PER_TURN.telegram.replyParts;
    return u < one ? 1 : u < one + two ? 2 : 3;
  };

  const runTurn = (job: Job, done: () => void): void => {
    const startedAt = sim.now;
    queueDelay.add(startedAt - job.arrival);
    (isOther(job) ? othersDelay : floodDelay).add(startedAt - job.arrival);
    const bot = (botInFlight.get(job.tenant) ?? 0) + 1;
    botInFlight.set(job.tenant, bot);
    peakBot = Math.max(peakBot, bot);
    const env = pool.acquire(startedAt);
    const turnsBefore = turnsOfGroup.get(job.group) ?? 0;
    turnsOfGroup.set(job.group, turnsBefore + 1);
    // A resume in a container that has not seen the conversation reads its table parts.
    const coldCache = turnsBefore > 0 && rng.next() > 1 / Math.max(1, pool.peakEnvironments);
    const rcu = D.startRcu + (coldCache ? (turnsBefore % 64) * D.rcuPerTablePart : 0);
    let throttled = false;

    const finish = (ok: boolean): void => {
      const end = sim.now;
      usage.lambdaGbS +=
        (end - env.readyAt + (env.cold ? shape.lambda.coldStartS : 0)) * PER_TURN.lambda.workerMemoryGb;
      usage.lambdaInvocations++;
      if (!ok) failed++;
      if (throttled) delayedByThrottles++;
      botInFlight.set(job.tenant, (botInFlight.get(job.tenant) ?? 1) - 1);
      pool.release(end);
      done();
    };

    const reply = (): void => {
      const outbox = settings.replies === 'outbox';
      if (outbox) finish(true);
      telegram.send(job.tenant, job.group, job.isGroupChat, job.replyParts, () => {
        replyLatency.add(sim.now - job.arrival);
        if (!outbox) finish(true);
      });
    };

    const endWrites = (): void => {
      const before = dynamo.counts.partitionWriteThrottles + dynamo.counts.counterItemThrottles;
      const shard = rng.int(settings.usageShards);
      const sessionWcu = D.endWcu - usageWcu + D.compactionWcu;
      usage.dynamoWcu += sessionWcu + usageWcu + D.catalogWcu;
      const usageWrites = (): void => {
        const counter = COUNTER_ITEM + job.tenant * 64 + shard;
        dynamo.write(usageKey(job, shard), usageWcu, counter, (ok) => {
          if (dynamo.counts.partitionWriteThrottles + dynamo.counts.counterItemThrottles > before)
            throttled = true;
          if (!ok) return finish(false);
          reply();
        });
      };
      if (settings.keys === 'tenant') {
        // Session items, the catalog entry and (below) usage all on the tenant's key.
        dynamo.write(sessionKey(job), sessionWcu + D.catalogWcu, undefined, (ok) =>
          ok ? usageWrites() : finish(false),
        );
        return;
      }
      // Sharded: session items on the conversation's key; the catalog entry is the one write left
      // on the tenant's own key (§8.1).
      dynamo.write(sessionKey(job), sessionWcu, undefined, (ok) => {
        if (!ok) return finish(false);
        dynamo.write(job.tenant, D.catalogWcu, undefined, (ok2) => (ok2 ? usageWrites() : finish(false)));
      });
    };

    const callModel = (): void => {
      if (!modelLimit.take(sim.now, PER_TURN.model.requests)) {
        model429++;
        return sim.after(Math.max(1, modelLimit.wait(sim.now, PER_TURN.model.requests)), callModel);
      }
      const minute = Math.floor(sim.now / 60);
      modelMinute.set(minute, (modelMinute.get(minute) ?? 0) + PER_TURN.model.requests);
      const service = job.serviceS;
      typing += 1 + Math.floor(service / PER_TURN.telegram.typingIntervalS);
      sim.after(service, endWrites);
    };

    sim.at(env.readyAt, () => {
      usage.dynamoWcu += D.startWcu;
      usage.dynamoRcu += rcu;
      const before = dynamo.counts.partitionReadThrottles + dynamo.counts.partitionWriteThrottles;
      dynamo.read(sessionKey(job), rcu, (okRead) => {
        if (!okRead) return finish(false);
        dynamo.write(sessionKey(job), D.startWcu, undefined, (okWrite) => {
          if (dynamo.counts.partitionReadThrottles + dynamo.counts.partitionWriteThrottles > before)
            throttled = true;
          if (!okWrite) return finish(false);
          callModel();
        });
      });
    });
  };

  const dispatcher = createDispatcher<Job>({
    sim,
    slots: settings.maxConcurrency,
    policy: settings.policy,
    start: (job, done, waited) => {
      slotWait.add(waited);
      if (isOther(job)) othersSlotWait.add(waited);
      peakInFlight = Math.max(peakInFlight, dispatcher.inFlight);
      runTurn(job, done);
    },
  });

  startTraffic(sim, shape.traffic, trafficRng, shape.window, (a) => {
    usage.turns++;
    usage.updates++;
    usage.dynamoWcu += PER_TURN.ingress.dedupeWcu;
    usage.sqsRequests += PER_TURN.sqs.requestsPerMessage;
    usage.s3Puts += PER_TURN.s3.putsPerTurn;
    usage.s3Gets += PER_TURN.s3.getsPerTurn;
    const serviceS =
      PER_TURN.lambda.runnerOverheadS +
      PER_TURN.lambda.storeS +
      workRng.lognormal(shape.service.medianS, shape.service.sigma);
    dispatcher.submit({ ...a, arrival: sim.now, serviceS, replyParts: replyParts() });
    peakQueued = Math.max(peakQueued, dispatcher.queued);
  });
  const events = sim.run();

  const cost = costOf(usage, settings.model);
  const perThousand = scaleCost(cost, 1000 / Math.max(1, usage.turns));
  const dayTurns = shape.window.toS - shape.window.fromS >= 86_400 ? usage.turns : turnsPerDay(shape.traffic);
  return {
    shape: shape.name,
    settings,
    simulated_s: shape.window.toS - shape.window.fromS,
    turns: usage.turns,
    queue_delay_p50_s: round(queueDelay.percentile(50), 3),
    queue_delay_p99_s: round(queueDelay.percentile(99), 3),
    queue_delay_max_s: round(queueDelay.max(), 3),
    slot_wait_p50_s: round(slotWait.percentile(50), 3),
    slot_wait_p99_s: round(slotWait.percentile(99), 3),
    others_queue_delay_p99_s: round(othersDelay.percentile(99), 3),
    flood_queue_delay_p99_s: round(floodDelay.percentile(99), 3),
    others_slot_wait_p99_s: round(othersSlotWait.percentile(99), 3),
    reply_latency_p50_s: round(replyLatency.percentile(50), 2),
    reply_latency_p99_s: round(replyLatency.percentile(99), 2),
    peak_in_flight: peakInFlight,
    peak_queued: peakQueued,
    cold_starts: pool.coldStarts,
    peak_environments: pool.peakEnvironments,
    dynamo_write_throttles: dynamo.counts.partitionWriteThrottles,
    dynamo_read_throttles: dynamo.counts.partitionReadThrottles,
    counter_item_throttles: dynamo.counts.counterItemThrottles,
    hot_partitions: dynamo.hotPartitions.size,
    turns_delayed_by_throttles: delayedByThrottles,
    turns_failed: failed,
    telegram_429_per_chat: telegram.tooManyRequests.perChat,
    telegram_429_per_bot: telegram.tooManyRequests.perBot,
    telegram_typing_calls: typing,
    peak_bot_in_flight: peakBot,
    model_429: model429,
    peak_model_rpm: Math.max(0, ...modelMinute.values()),
    max_group_concurrency: dispatcher.maxGroupConcurrency,
    cost_per_1000_turns: roundCost(perThousand),
    turns_per_day: Math.round(dayTurns),
    cost_per_day: roundCost(scaleCost(perThousand, dayTurns / 1000)),
    events,
    wall_ms: Math.round(performance.now() - started),
  };
}

function roundCost(c: Cost): Cost {
  return {
    dynamo: round(c.dynamo, 4),
    sqs: round(c.sqs, 4),
    lambda: round(c.lambda, 4),
    s3: round(c.s3, 4),
    ingress: round(c.ingress, 4),
    aws: round(c.aws, 4),
    model: round(c.model, 2),
  };
}
