/**
 * Live replies benchmark: how soon streamed text is visible, how fast a turn stops, and whether the
 * live updates stay within Telegram's flood limits — through the production wiring, the real
 * `claude` binary and the offline model (`stream <N> words`, one delta per `tokenMs`).
 *
 * - **Telegram** (the long-running host of `npm start`: `buildDeps` on SQLite with the warm pool
 *   and a spare, `startLocalTelegram` with a webhook): a real Update JSON posted over HTTP to the
 *   webhook → ingress → in-process queue → worker → runner → live reply → the fake Bot API, with the
 *   fake's rate-limit emulation on at Telegram's limits (1 call/s per chat, 20/min per group).
 *   `first_visible_ms`: the model server writing a turn's first text delta (`onTextDelta`) → the
 *   fake Bot API receiving that turn's first `sendMessageDraft` (private chat); both `Date.now()`
 *   in this process. The same in a forum topic (first `sendMessage` of the live message).
 * - **Stop across processes** (cloud store: fauxqs S3/SQS + DynamoDB Local): the Telegram ingress
 *   Lambda handler (`buildIngressHandler`) in this process, a long-running SQS worker
 *   (`lib/live-worker.ts`, warm pool on) in another. A turn streams `stream 400 words`; once its
 *   first draft is visible and after a random 0–1 s, `/stop` goes to the ingress. `stop_ms`: from
 *   invoking the ingress with the `/stop` update → the worker's "⏹ Stopped" answer arriving at the
 *   fake Bot API (this process's clock). Also: → the worker's `runTurn` resolving (the worker's
 *   `Date.now()`, same machine clock), and → the ingress's 👌 reaction on the /stop message.
 * - **SSE** (`omnicloud serve`: `startApiServer`, SQLite, warm pool): `POST /v1/chat` with
 *   `"stream": true` from a `fetch` client here; `sse_first_event_ms`: the model server writing the
 *   first delta → the client reading the first `event: text` (`performance.now()`, same process).
 *
 * Samples are sequential, each after a warm-up turn of the same conversation (excluded), with 1.1 s
 * between turns of a chat (a user reading). Ends with one JSON line (docs/benchmarks.md).
 *
 *   npx tsx bench/live.ts [--samples 15 --group 5 --stops 10 --sse 15 --token-ms 50]   (npm run bench -- live)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Update } from 'grammy/types';
import { buildDeps, prewarmTenants } from '../src/app/build-deps.js';
import { loadLambdaEnv } from '../src/app/lambda/env.js';
import { buildIngressHandler } from '../src/app/lambda/ingress.js';
import { startLocalTelegram } from '../src/app/local-telegram.js';
import { startApiServer } from '../src/app/serve.js';
import { parseEnv } from '../src/config/env.js';
import { startModelServer } from '../src/model/index.js';
import { LIVE_DEFAULTS } from '../src/telegram/worker/live/index.js';
import { startFakeTelegramApi, type FakeTelegramApi, type RecordedCall } from '../test/fakes/telegram-api.js';
import { COUNTED_METHODS, maxInWindow } from '../test/fakes/telegram-rate.js';
import { startCloudPeers } from '../test/peers/cloud.js';
import { liveClaudeProcesses } from '../test/support/child-processes.js';
import { FORUM, STRANGER, USER, privateText, topicText } from '../test/telegram/updates.js';
import { median, numberArg, round, spread } from './lib/stats.js';
import { telegramWebhookEvent } from '../test/support/webhook-event.js';

/** Targets of the live-replies issue (docs/benchmarks.md). */
const TARGETS = {
  first_visible_ms_p50_max: 300,
  telegram_429s: 0,
  stop_ms_p50_max: 1500,
  sse_first_event_ms_p50_max: 50,
};
/** Telegram's documented flood limits, as the fake Bot API emulates them. */
const RATE_LIMIT = { perSecond: 1, groupPerMinute: 20 };
/** The runner's stop poll (`AgentRunnerDeps.stopPollMs`; buildDeps keeps the default). */
const STOP_POLL_MS = 1000;
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789abcdef';
const API_TOKEN = 'bench-api-token-5f1c9a3e7b2d4c6a8e0f1b3d';
const TOPIC = 7;
/** Live updates: drafts and edits (text and status). */
const LIVE_METHODS = ['sendMessageDraft', 'editMessageText', 'editMessageReplyMarkup'];

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const loads = (): number[] => loadavg().map((l) => round(l, 2));
const summary = spread;

/** A first text delta of a model reply, stamped on both clocks when the server wrote it. */
interface FirstDelta {
  request: number;
  at: number;
  perf: number;
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

const chatOf = (c: RecordedCall): number => Number(c.params.chat_id);
const textOf = (c: RecordedCall): string => String(c.params.text ?? '');
/** What a call carried, for the 429 breakdown. */
const whatOf = (c: RecordedCall): string => {
  const text = textOf(c);
  if (c.method === 'sendMessageDraft') return 'draft';
  if (text.includes('Stopped')) return 'stopped-answer';
  if (c.method === 'sendMessage' && /word\d+/.test(text)) return 'answer';
  return 'other';
};

async function main(): Promise<void> {
  const privateSamples = numberArg('samples', 15);
  const groupSamples = numberArg('group', 5);
  const stopSamples = numberArg('stops', 10);
  const sseSamples = numberArg('sse', 15);
  const tokenMs = numberArg('token-ms', 50);
  const cpu = cpus();
  const loadStart = loads();
  log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; load ${loadStart.join(' ')}`,
  );
  const started = performance.now();
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const dir = await mkdtemp(join(tmpdir(), 'omni-bench-live-'));
  const configDir = join(dir, 'agent'); // an empty agent config: no MCP servers, skills or subagents
  await mkdir(configDir, { recursive: true });

  const firstDeltas: FirstDelta[] = [];
  const model = await startModelServer({
    record: false,
    tokenMs,
    onTextDelta: ({ request, n }) => {
      if (n === 0) firstDeltas.push({ request, at: Date.now(), perf: performance.now() });
    },
  });
  const firstDeltaSince = (t: number, clock: 'at' | 'perf'): FirstDelta | undefined =>
    firstDeltas.find((d) => d[clock] >= t);
  const telegram = await startFakeTelegramApi();
  telegram.setChat(FORUM);
  telegram.setRateLimit(RATE_LIMIT);
  const base: Record<string, string> = {
    OMNICLOUD_ENV: 'test',
    OMNICLOUD_LOG_LEVEL: 'warn',
    OMNICLOUD_CONFIG_DIR: configDir,
    ANTHROPIC_API_KEY: 'bench-model-key',
    ANTHROPIC_BASE_URL: model.url,
    OMNICLOUD_MODEL_MAX_RETRIES: '1',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    API_AUTH_TOKEN: API_TOKEN,
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  };
  const callsSince = (t: number, chat: number, methods: string[]): RecordedCall[] =>
    telegram.calls.filter((c) => c.ok && c.at >= t && chatOf(c) === chat && methods.includes(c.method));

  const tg = await telegramSide(base, dir, telegram, firstDeltaSince, callsSince, {
    privateSamples,
    groupSamples,
    words: 30,
  });
  log(`telegram done after ${elapsed()}`);
  const sse = await sseSide(base, dir, firstDeltaSince, sseSamples);
  log(`sse done after ${elapsed()}`);
  const stops = await stopSide(base, dir, telegram, callsSince, stopSamples);
  log(`stops done after ${elapsed()}`);

  // Over the whole run, every chat: live updates, and everything the rate limit counts.
  const chats = [...new Set(telegram.calls.map(chatOf).filter(Number.isFinite))];
  const perChat = (methods: string[], windowMs: number, which: (chat: number) => boolean) =>
    Math.max(0, ...chats.filter(which).map((c) => telegram.maxUpdatesPerWindow(c, methods, windowMs)));
  const limited = telegram.rateLimited();
  const byMethod: Record<string, number> = {};
  for (const c of limited) {
    const key = `${c.method}:${chatOf(c) > 0 ? 'private' : 'group'}:${whatOf(c)}`;
    byMethod[key] = (byMethod[key] ?? 0) + 1;
  }
  const groupCounted = Math.max(
    0,
    ...chats
      .filter((c) => c < 0)
      .map((chat) =>
        maxInWindow(
          telegram.calls
            .filter((c) => c.ok && chatOf(c) === chat && COUNTED_METHODS.includes(c.method))
            .map((c) => c.at),
          60_000,
        ),
      ),
  );
  await model.close();
  await telegram.close();
  await rm(dir, { recursive: true, force: true });

  const firstVisible = summary(tg.privateVisible);
  const stop = summary(stops.stopMs);
  const sseFirst = summary(sse.firstEvent);
  const report = {
    bench: 'live',
    first_visible_ms_p50: firstVisible.p50,
    first_visible_ms_p99: firstVisible.p99,
    first_visible_ms: firstVisible,
    first_visible_samples: tg.privateVisible.length,
    group_first_visible_ms: summary(tg.groupVisible),
    group_samples: tg.groupVisible.length,
    edits_per_chat_per_s_max: perChat(LIVE_METHODS, 1000, () => true),
    private_edits_per_chat_per_s_max: perChat(LIVE_METHODS, 1000, (c) => c > 0),
    group_edits_per_chat_per_s_max: perChat(LIVE_METHODS, 1000, (c) => c < 0),
    counted_calls_per_chat_per_s_max: perChat(COUNTED_METHODS, 1000, () => true),
    group_counted_calls_per_min_max: groupCounted,
    telegram_429s: limited.length,
    telegram_429s_by_method: byMethod,
    stop_ms_p50: stop.p50,
    stop_ms_p99: stop.p99,
    stop_ms: stop,
    stop_turn_ended_ms: summary(stops.turnEndedMs),
    stop_requested_ms: summary(stops.requestedMs),
    stop_detected_ms: summary(stops.detectedMs),
    stop_answer_first_try_ms: summary(stops.firstTryMs),
    stop_ack_ms: summary(stops.ackMs),
    stop_samples: stops.stopMs.length,
    stop_error_codes: stops.errorCodes,
    sse_first_event_ms_p50: sseFirst.p50,
    sse_first_event_ms_p99: sseFirst.p99,
    sse_first_event_ms: sseFirst,
    sse_samples: sse.firstEvent.length,
    settings: {
      token_ms: tokenMs,
      stop_poll_ms: STOP_POLL_MS,
      edit_interval_ms: LIVE_DEFAULTS.editIntervalMs,
      group_edit_interval_ms: LIVE_DEFAULTS.groupEditIntervalMs,
      rate_limit: RATE_LIMIT,
      words_per_turn: { private: 30, group: 30, stop: 400, sse: 10 },
      warm_pool: 'buildDeps defaults (OMNICLOUD_WARM_MAX from host memory, one spare per tenant)',
    },
    warm_pool: { telegram: tg.warm, worker: stops.warm },
    targets: {
      ...TARGETS,
      met: {
        first_visible_ms_p50: firstVisible.p50 <= TARGETS.first_visible_ms_p50_max,
        telegram_429s: limited.length === TARGETS.telegram_429s,
        stop_ms_p50: stop.p50 <= TARGETS.stop_ms_p50_max,
        sse_first_event_ms_p50: sseFirst.p50 <= TARGETS.sse_first_event_ms_p50_max,
      },
    },
    leftover_claude_processes: liveClaudeProcesses().length,
    elapsed_s: round((performance.now() - started) / 1000),
    load_avg_start: loadStart,
    load_avg_end: loads(),
    machine: { cpus: cpu.length, cpu: cpu[0]?.model ?? '?', node: process.version },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/**
 * Private chat and forum topic turns through `npm start`'s host; returns the first-visible
 * latencies (ms) and the warm pool's stats.
 */
async function telegramSide(
  base: Record<string, string>,
  dir: string,
  telegram: FakeTelegramApi,
  firstDeltaSince: (t: number, clock: 'at' | 'perf') => FirstDelta | undefined,
  callsSince: (t: number, chat: number, methods: string[]) => RecordedCall[],
  o: { privateSamples: number; groupSamples: number; words: number },
): Promise<{ privateVisible: number[]; groupVisible: number[]; warm: unknown }> {
  const raw = { ...base, OMNICLOUD_DATA_DIR: join(dir, 'telegram') };
  const app = await buildDeps(parseEnv(raw), { rawEnv: raw, quiet: true });
  prewarmTenants(app);
  const host = await startLocalTelegram(app, { port: 0 });
  const service = host.services.get('default' as never);
  if (!host.webhookUrl || !service) throw new Error('bench: the Telegram host has no webhook');
  const url = `${host.webhookUrl}/telegram/default`;
  const post = async (update: Update): Promise<void> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: JSON.stringify(update),
    });
    if (!res.ok) throw new Error(`bench: the webhook answered ${res.status}`);
  };
  /** One turn; the latency from the model's first delta to the first visible text in `chat`. */
  const turn = async (update: Update, chat: number, visible: string[]): Promise<number> => {
    const t0 = Date.now();
    await post(update);
    const last = `word${o.words}`;
    await waitFor(
      () => callsSince(t0, chat, ['sendMessage', 'editMessageText']).some((c) => textOf(c).includes(last)),
      60_000,
      `the final answer in chat ${chat}`,
    );
    await service.idle();
    const delta = firstDeltaSince(t0, 'at');
    const shown = callsSince(t0, chat, visible)[0];
    if (!delta || !shown) throw new Error(`bench: no first delta or no visible text in chat ${chat}`);
    await sleep(1100); // the user reads before writing again
    return shown.at - delta.at;
  };
  const prompt = `stream ${o.words} words`;
  const privateVisible: number[] = [];
  const groupVisible: number[] = [];
  // Warm-up (excluded): each conversation's first turn starts its live process.
  await turn(privateText(prompt, USER), USER.id, ['sendMessageDraft']);
  await turn(topicText(TOPIC, prompt), FORUM.id, ['sendMessage']);
  for (let i = 0; i < o.privateSamples; i++) {
    privateVisible.push(await turn(privateText(prompt, USER), USER.id, ['sendMessageDraft']));
  }
  for (let i = 0; i < o.groupSamples; i++) {
    groupVisible.push(await turn(topicText(TOPIC, prompt), FORUM.id, ['sendMessage']));
  }
  const warm = app.warm.stats();
  await host.stop();
  await app.close();
  log(
    `telegram: first visible p50 ${round(median(privateVisible))} ms (private), ${round(median(groupVisible))} ms (topic)`,
  );
  return { privateVisible, groupVisible, warm };
}

/** `POST /v1/chat` with `"stream": true` against `omnicloud serve`'s server. */
async function sseSide(
  base: Record<string, string>,
  dir: string,
  firstDeltaSince: (t: number, clock: 'at' | 'perf') => FirstDelta | undefined,
  samples: number,
): Promise<{ firstEvent: number[] }> {
  const { TELEGRAM_BOT_TOKEN: _token, TELEGRAM_WEBHOOK_SECRET: _secret, ...apiBase } = base;
  const raw: Record<string, string> = { ...apiBase, OMNICLOUD_DATA_DIR: join(dir, 'api') };
  const server = await startApiServer(parseEnv(raw), { rawEnv: raw, port: 0 });
  const one = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/v1/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
      body: JSON.stringify({ user_message: 'stream 10 words', chat_id: 'sse-bench', stream: true }),
    });
    if (!res.ok || !res.body) throw new Error(`bench: /v1/chat answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    let firstText: number | undefined;
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      if (firstText === undefined && /(^|\n)event: text\n/.test(buffer)) firstText = performance.now();
    }
    if (!/(^|\n)event: result\n/.test(buffer)) throw new Error(`bench: the stream ended without a result`);
    const delta = firstDeltaSince(t0, 'perf');
    if (firstText === undefined || !delta) throw new Error('bench: no text event or no model delta');
    return firstText - delta.perf;
  };
  await one(); // warm-up (excluded)
  const firstEvent: number[] = [];
  for (let i = 0; i < samples; i++) {
    firstEvent.push(await one());
    await sleep(200);
  }
  await server.close();
  log(`sse: first event p50 ${round(median(firstEvent))} ms`);
  return { firstEvent };
}

interface WorkerLine {
  event: string;
  at?: number;
  errorCode?: string | null;
  warm?: unknown;
}

/** `/stop` at the ingress (this process) → the turn on a worker in another process ended. */
async function stopSide(
  base: Record<string, string>,
  dir: string,
  telegram: FakeTelegramApi,
  callsSince: (t: number, chat: number, methods: string[]) => RecordedCall[],
  samples: number,
): Promise<{
  stopMs: number[];
  turnEndedMs: number[];
  requestedMs: number[];
  detectedMs: number[];
  firstTryMs: number[];
  ackMs: number[];
  errorCodes: string[];
  warm: unknown;
}> {
  const peers = await startCloudPeers();
  const [bucket, table, dedupeTable] = await Promise.all([
    peers.newBucket(),
    peers.newTable(),
    peers.newDedupeTable(),
  ]);
  const cloud: Record<string, string> = {
    ...base,
    ...peers.awsEnv(),
    OMNICLOUD_STORAGE: 'cloud',
    SESSION_BUCKET: bucket,
    SESSION_TABLE: table,
    DEDUPE_TABLE: dedupeTable,
    QUEUE_URL: peers.newFifoQueue(),
    OMNICLOUD_DATA_DIR: join(dir, 'worker'),
  };
  // The worker logs at info: its runner's "stop requested" line says when the poll saw the request.
  const workerEnv = { ...cloud, OMNICLOUD_LOG_LEVEL: 'info' };
  const { OMNICLOUD_ENV: _env, ...lambdaRaw } = cloud; // the Lambda's own default: production
  const ingress = await buildIngressHandler(await loadLambdaEnv(lambdaRaw));
  const lines: WorkerLine[] = [];
  const worker: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'lib', 'live-worker.ts')],
    { env: workerEnv, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const detections: number[] = [];
  createInterface({ input: worker.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    let record: { level?: string; msg?: string; time?: string } = {};
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      return; // not a log line (e.g. a Node warning)
    }
    if (record.msg === 'stop requested for the running turn')
      detections.push(Date.parse(String(record.time)));
    else if (record.level === 'error') log(`[worker] ${line}`);
  });
  createInterface({ input: worker.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('{')) lines.push(JSON.parse(line) as WorkerLine);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  try {
    await waitFor(() => lines.some((l) => l.event === 'ready'), 60_000, 'the worker process');
    const post = async (update: Update): Promise<void> => {
      const res = await ingress(telegramWebhookEvent(update, WEBHOOK_SECRET) as never);
      if (res.statusCode !== 200) throw new Error(`bench: the ingress answered ${res.statusCode}`);
    };
    const chat = STRANGER.id;
    const next = async (event: string, from: number): Promise<WorkerLine> => {
      await waitFor(() => lines.slice(from).some((l) => l.event === event), 60_000, `worker "${event}"`);
      return lines.slice(from).find((l) => l.event === event) as WorkerLine;
    };
    // Warm-up (excluded): a whole turn, so the conversation has its live process on the worker.
    let mark = lines.length;
    await post(privateText('stream 5 words', STRANGER));
    await next('handled', mark);
    await sleep(1100);
    const stopMs: number[] = [];
    const turnEndedMs: number[] = [];
    const ackMs: number[] = [];
    const requestedMs: number[] = [];
    const detectedMs: number[] = [];
    const firstTryMs: number[] = [];
    const errorCodes: string[] = [];
    for (let i = 0; i < samples; i++) {
      mark = lines.length;
      const tMsg = Date.now();
      await post(privateText('stream 400 words', STRANGER));
      await waitFor(
        () => callsSince(tMsg, chat, ['sendMessageDraft']).length > 0,
        60_000,
        'the first draft of the turn to stop',
      );
      await sleep(Math.random() * STOP_POLL_MS); // any phase of the worker's stop poll
      const t0 = Date.now();
      await post(privateText('/stop', STRANGER));
      const turn = await next('turn', mark);
      await waitFor(
        () => callsSince(t0, chat, ['sendMessage']).some((c) => textOf(c).includes('Stopped')),
        60_000,
        'the stopped answer',
      );
      await next('handled', mark);
      const sent = callsSince(t0, chat, ['sendMessage']);
      const stopped = sent.find((c) => textOf(c).includes('Stopped')) as RecordedCall;
      // The ingress acknowledges a /stop with a 👌 reaction right after writing the stop request
      // (a reaction, not a message: it does not compete with the streaming turn for the chat).
      const reactions = telegram.calls.filter(
        (c) => c.at >= t0 && chatOf(c) === chat && c.method === 'setMessageReaction',
      );
      const ack = reactions.find((c) => c.ok);
      const ackTry = reactions[0];
      // Attempts, 429s included.
      const tried = telegram.calls.filter(
        (c) => c.at >= t0 && chatOf(c) === chat && c.method === 'sendMessage',
      );
      const stoppedTry = tried.find((c) => textOf(c).includes('Stopped'));
      const detected = detections.find((d) => d >= t0);
      stopMs.push(stopped.at - t0);
      turnEndedMs.push((turn.at ?? Number.NaN) - t0);
      if (ack) ackMs.push(ack.at - t0);
      if (ackTry) requestedMs.push(ackTry.at - t0);
      if (stoppedTry) firstTryMs.push(stoppedTry.at - t0);
      if (detected !== undefined) detectedMs.push(detected - t0);
      errorCodes.push(String(turn.errorCode));
      await sleep(1100);
    }
    worker.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    const warm = lines.find((l) => l.event === 'stopped')?.warm;
    log(`stop: p50 ${round(median(stopMs))} ms (turn ended ${round(median(turnEndedMs))} ms)`);
    return { stopMs, turnEndedMs, requestedMs, detectedMs, firstTryMs, ackMs, errorCodes, warm };
  } finally {
    if (worker.exitCode === null) worker.kill('SIGKILL');
    await peers.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench live failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
