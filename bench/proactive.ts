/**
 * Proactive runs benchmark (issue 16): what a scheduled run and an alert investigation cost on top
 * of a person's message, through the production wiring of `npm start` (`buildDeps` on SQLite,
 * `startLocalTelegram` with its webhook and event endpoint, the in-process queue, the real `claude`
 * binary, the offline model, the fake Bot API). Interleaved, same run:
 *
 * - **message**: a real Update JSON posted to the webhook (forum topic A) → the turn answered;
 * - **scheduled**: the work item EventBridge Scheduler (or the local scheduler) puts on the queue,
 *   one schedule per sample (its own ledger id), posting in topic B → answered (store read, the
 *   opening message once, the turn);
 * - **alert**: a generic JSON event posted to `POST /v1/events/default` (bearer token) routed to
 *   topic C → answered (auth, route, dedupe claim, rate-limit counter, enqueue, opening, turn);
 * - **first run in a new topic**: a schedule with `thread: new` (plus `createForumTopic`, `setTopic`).
 *
 * Each sample: trigger at t0, done when the queue is idle (everything delivered). Also the local
 * scheduler's tick over 100 stored schedules (SQLite). Ends with one JSON line (docs/benchmarks.md).
 *
 *   npx tsx bench/proactive.ts [--samples 10 --new 3]   (npm run bench -- proactive)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Update } from 'grammy/types';
import { buildDeps } from '../src/app/build-deps.js';
import { startLocalTelegram } from '../src/app/local-telegram.js';
import { parseEnv } from '../src/config/env.js';
import { ManualClock } from '../src/core/clock.js';
import { parseTenantId } from '../src/core/ids.js';
import { silentLogger } from '../src/core/logger.js';
import { startModelServer } from '../src/model/index.js';
import type { QueuedMessage } from '../src/queue/types.js';
import { createLocalScheduler } from '../src/schedules/local-scheduler.js';
import { parseScheduleSpec } from '../src/schedules/spec.js';
import type { ScheduleRecord } from '../src/schedules/types.js';
import { scheduledWork } from '../src/schedules/work.js';
import { startFakeTelegramApi, type RecordedCall } from '../test/fakes/telegram-api.js';
import { FORUM, topicText } from '../test/telegram/updates.js';
import { median, numberArg, quantile, round } from './lib/stats.js';

const TENANT = parseTenantId('default');
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789abcdef';
const EVENTS_TOKEN = 'bench-events-token-9f8e7d6c5b4a39281706';
const TOPIC = { message: 900, scheduled: 901, alert: 902 } as const;
const HOUR = 3_600_000;

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const summary = (xs: number[]) => ({
  p50: round(median(xs)),
  p90: round(quantile(xs, 0.9)),
  min: round(Math.min(...xs)),
  max: round(Math.max(...xs)),
});

async function main(): Promise<void> {
  const samples = numberArg('samples', 10);
  const fresh = numberArg('new', 3);
  const cpu = cpus();
  const loadStart = loadavg().map((l) => round(l, 2));
  log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load ${loadStart.join(' ')}`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'omni-bench-proactive-'));
  const configDir = join(dir, 'agent');
  await mkdir(configDir, { recursive: true });
  await writeFile(
    join(configDir, 'events.yaml'),
    [
      'version: 1',
      'routes:',
      '  - name: bench',
      '    match: { source: generic }',
      '    prompt: "Investigate {{title}}"',
      `    target: { chat: ${FORUM.id}, thread: ${TOPIC.alert} }`,
      '    rateLimit: { max: 1000, perMinutes: 60 }',
    ].join('\n'),
  );
  const model = await startModelServer({ record: false });
  const telegram = await startFakeTelegramApi();
  telegram.setChat(FORUM);
  const raw: Record<string, string> = {
    OMNICLOUD_ENV: 'test',
    OMNICLOUD_LOG_LEVEL: 'warn',
    OMNICLOUD_CONFIG_DIR: configDir,
    OMNICLOUD_DATA_DIR: join(dir, 'data'),
    ANTHROPIC_API_KEY: 'bench-model-key',
    ANTHROPIC_BASE_URL: model.url,
    OMNICLOUD_MODEL_MAX_RETRIES: '1',
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_LIVE_REPLIES: 'false',
    OMNICLOUD_EVENTS_TOKEN: EVENTS_TOKEN,
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  };
  const app = await buildDeps(parseEnv(raw), { rawEnv: raw, quiet: true });
  const host = await startLocalTelegram(app, { port: 0 });
  const service = host.services.get(TENANT);
  if (!host.webhookUrl || !service) throw new Error('bench: no webhook server');

  const callsSince = (t: number): RecordedCall[] => telegram.calls.filter((c) => c.at >= t && c.ok);
  /** Runs one trigger; ms until everything it caused was delivered, and the Bot API calls it made. */
  const measure = async (trigger: () => Promise<void>): Promise<{ ms: number; calls: string[] }> => {
    const t0 = Date.now();
    await trigger();
    await service.idle();
    const ms = Date.now() - t0;
    const calls = callsSince(t0)
      .map((c) => c.method)
      .filter((m) => m !== 'sendChatAction');
    return { ms, calls };
  };
  const postWebhook = async (update: Update): Promise<void> => {
    const res = await fetch(`${host.webhookUrl}/telegram/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET },
      body: JSON.stringify(update),
    });
    if (!res.ok) throw new Error(`bench: webhook ${res.status}`);
  };
  const postEvent = async (i: number): Promise<void> => {
    const res = await fetch(`${host.webhookUrl}/v1/events/default`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${EVENTS_TOKEN}` },
      body: JSON.stringify({
        title: `disk full on db-${i}`,
        id: `bench-${Date.now()}-${i}`,
        severity: 'high',
      }),
    });
    const body = (await res.json()) as { status?: string };
    if (res.status !== 202 || body.status !== 'queued')
      throw new Error(`bench: event ${res.status} ${body.status}`);
  };
  const hour = Math.floor(Date.now() / HOUR) * HOUR;
  const schedule = async (name: string, thread: number | 'new'): Promise<ScheduleRecord> => {
    const spec = parseScheduleSpec({
      name,
      cron: '0 * * * *',
      prompt: `Scheduled check ${name}`,
      target: { chat: FORUM.id, thread },
    });
    return app.storage.schedules.put({
      ...spec,
      tenant: TENANT,
      origin: 'runtime',
      paused: false,
      createdBy: 'bench',
      createdAt: hour - HOUR,
      updatedAt: hour - HOUR,
      version: 0,
    });
  };
  const runSchedule = (record: ScheduleRecord) => () => service.queue.enqueue(scheduledWork(record, hour));

  // Warm-up (excluded): each topic's first turn.
  await measure(() => postWebhook(topicText(TOPIC.message, 'warm up')));
  await measure(runSchedule(await schedule('warmup', TOPIC.scheduled)));
  await measure(() => postEvent(-1));

  const ms = {
    message: [] as number[],
    scheduled: [] as number[],
    alert: [] as number[],
    newTopic: [] as number[],
  };
  const calls: Record<string, string[]> = {};
  for (let i = 0; i < samples; i++) {
    const m = await measure(() => postWebhook(topicText(TOPIC.message, `question ${i}`)));
    const s = await measure(runSchedule(await schedule(`run-${i}`, TOPIC.scheduled)));
    const a = await measure(() => postEvent(i));
    ms.message.push(m.ms);
    ms.scheduled.push(s.ms);
    ms.alert.push(a.ms);
    calls['message'] = m.calls;
    calls['scheduled'] = s.calls;
    calls['alert'] = a.calls;
    log(`sample ${i + 1}/${samples}: message ${m.ms} ms, scheduled ${s.ms} ms, alert ${a.ms} ms`);
  }
  for (let i = 0; i < fresh; i++) {
    const n = await measure(runSchedule(await schedule(`fresh-${i}`, 'new')));
    ms.newTopic.push(n.ms);
    calls['newTopic'] = n.calls;
  }

  // The local scheduler's tick over 100 stored schedules (nothing due: read and plan only).
  for (let i = 0; i < 100 - samples - fresh - 1; i++) await schedule(`idle-${i}`, TOPIC.scheduled);
  const queued: QueuedMessage[] = [];
  const clock = new ManualClock(hour + 10 * 60_000);
  const scheduler = createLocalScheduler({
    store: app.storage.schedules,
    tenants: [TENANT],
    queue: { enqueue: async (m) => void queued.push(m) },
    clock,
    notify: async () => undefined,
    logger: silentLogger,
  });
  await scheduler.tick(); // bookmarks every new schedule
  const ticks: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await scheduler.tick();
    ticks.push(performance.now() - t0);
  }
  await scheduler.stop();
  const schedules = (await app.storage.schedules.list(TENANT)).length;

  await host.stop();
  await app.close();
  await telegram.close();
  await model.close();
  await rm(dir, { recursive: true, force: true });

  const result = {
    bench: 'proactive',
    machine: {
      cpus: cpu.length,
      model: cpu[0]?.model,
      node: process.version,
      load_start: loadStart,
      load_end: loadavg().map((l) => round(l, 2)),
    },
    samples,
    end_to_end_ms: {
      message: summary(ms.message),
      scheduled: summary(ms.scheduled),
      alert: summary(ms.alert),
      scheduled_first_run_new_topic: summary(ms.newTopic),
    },
    overhead_p50_ms: {
      scheduled_vs_message: round(median(ms.scheduled) - median(ms.message)),
      alert_vs_message: round(median(ms.alert) - median(ms.message)),
    },
    bot_api_calls_per_item: calls,
    local_scheduler_tick_ms: { schedules, ...summary(ticks), enqueued: queued.length },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
