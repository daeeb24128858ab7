/**
 * Attachments benchmark (issue 15): a 20 MB document sent to the bot, from the fake Bot API to
 * durable storage, and the memory the worker needs for it — through the production wiring: the
 * Telegram ingress Lambda handler (`buildIngressHandler`) in this process, a long-running SQS
 * worker (`lib/live-worker.ts`: `buildDeps`, `createTenantWorkers`, the long-polling FIFO consumer,
 * warm pool on, the real `claude` binary and the offline model) in a child process, on the cloud
 * peers (fauxqs S3/SQS, DynamoDB Local).
 *
 * Per sample, a new 20,000,000-byte log file (generated line by line, never held whole by the fake
 * Bot API) is registered and a document update posted to the ingress:
 * - `ack_ms`: the ingress answering the webhook (it only queues; the download is the worker's);
 * - `store_ms`: the worker receiving the queue message → calling `runTurn` (getFile, the streamed
 *   download into the conversation's folder, kind by content, the upload to the file store);
 * - `turn_start_ms`: the ingress invocation → the turn holding the conversation, about to ask the
 *   agent (`turn_started`; includes the queue's delivery and the runner's materialize check);
 * - `rss_growth_mb`: the worker process's peak RSS during the sample (the kernel's `VmHWM`, reset
 *   through `/proc/<pid>/clear_refs` before each sample; also sampled every 5 ms) minus its RSS
 *   just before. The agent's `claude` child is a process of its own and not counted.
 *
 * Two stores, side by side in one run: `s3` (`OMNICLOUD_STORAGE=cloud`: multipart through one
 * reused 5 MiB buffer, one part in flight) and `data_dir` (`OMNICLOUD_STORAGE=sqlite`: `<data dir>/files`). A warm-up
 * sample per store (a small document, excluded) loads every module on the path first. Ends with
 * one JSON line (docs/benchmarks.md).
 *
 *   npx tsx bench/attachments.ts [--samples 5 --mb 20]   (npm run bench -- attachments)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Update } from 'grammy/types';
import { loadLambdaEnv } from '../src/app/lambda/env.js';
import { buildIngressHandler } from '../src/app/lambda/ingress.js';
import { startModelServer } from '../src/model/index.js';
import { startFakeTelegramApi, type FakeTelegramApi } from '../test/fakes/telegram-api.js';
import { startCloudPeers } from '../test/peers/cloud.js';
import { telegramWebhookEvent } from '../test/support/webhook-event.js';
import { privateDocument } from '../test/telegram/updates.js';
import { median, numberArg, round, spread } from './lib/stats.js';

/** The target: the worker's peak RSS growth while a 20 MB file is stored. */
const TARGETS = { rss_growth_mb_max: 12 };
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789abcdef';
const MB = 1_000_000;

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const summary = spread;

interface WorkerLine {
  event: string;
  at?: number;
  errorCode?: string | null;
}

/** `VmRSS` / `VmHWM` of a process in KiB (Linux). */
function memKib(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets the process's peak RSS (`VmHWM`) to its current RSS; `false` where the kernel refuses. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A log file of `bytes` bytes, produced 64 KiB at a time (the fake Bot API never holds it). */
function logLines(bytes: number): () => AsyncIterable<Uint8Array> {
  const line = (i: number): string =>
    `2026-12-02T01:${String(i % 60).padStart(2, '0')}:00Z INFO request ${i} served in ${i % 997} ms\n`;
  return async function* () {
    let sent = 0;
    let i = 0;
    while (sent < bytes) {
      let chunk = '';
      while (chunk.length < 64 * 1024) chunk += line(i++);
      const buf = Buffer.from(chunk).subarray(0, Math.min(64 * 1024, bytes - sent));
      sent += buf.length;
      yield buf;
    }
  };
}

interface StoreRun {
  ackMs: number[];
  storeMs: number[];
  turnStartMs: number[];
  rssGrowthMb: number[];
  sampledGrowthMb: number[];
  peakReset: boolean;
  errors: string[];
}

async function runStore(
  store: 's3' | 'data_dir',
  env: Record<string, string>,
  telegram: FakeTelegramApi,
  samples: number,
  bytes: number,
): Promise<StoreRun> {
  const { OMNICLOUD_ENV: _env, ...lambdaRaw } = env; // the Lambda's own default: production
  const ingress = await buildIngressHandler(await loadLambdaEnv(lambdaRaw));
  const workerEnv = store === 's3' ? env : { ...env, OMNICLOUD_STORAGE: 'sqlite' };
  const lines: WorkerLine[] = [];
  const worker: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'lib', 'live-worker.ts')],
    { env: workerEnv, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  createInterface({ input: worker.stderr as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.includes('"level":"error"') || !line.startsWith('{')) log(`[worker] ${line}`);
  });
  createInterface({ input: worker.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('{')) lines.push(JSON.parse(line) as WorkerLine);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const waitLine = async (event: string, from: number): Promise<WorkerLine> => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const found = lines.slice(from).find((l) => l.event === event);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`bench: timed out waiting for worker "${event}"`);
      await sleep(2);
    }
  };
  const run: StoreRun = {
    ackMs: [],
    storeMs: [],
    turnStartMs: [],
    rssGrowthMb: [],
    sampledGrowthMb: [],
    peakReset: true,
    errors: [],
  };
  try {
    await waitLine('ready', 0);
    const pid = worker.pid as number;
    const post = async (update: Update): Promise<number> => {
      const t = performance.now();
      const res = await ingress(telegramWebhookEvent(update, WEBHOOK_SECRET) as never);
      if (res.statusCode !== 200) throw new Error(`bench: the ingress answered ${res.statusCode}`);
      return performance.now() - t;
    };
    for (let i = -1; i < samples; i++) {
      const warmUp = i < 0;
      const size = warmUp ? 200_000 : bytes;
      const file = telegram.addFile(logLines(size), { size });
      const mark = lines.length;
      await sleep(300); // let the previous turn's garbage settle before the baseline
      const before = memKib(pid).rss;
      run.peakReset = resetPeak(pid) && run.peakReset;
      let sampled = before;
      const sampler = setInterval(() => {
        sampled = Math.max(sampled, memKib(pid).rss);
      }, 5);
      const t0 = Date.now();
      const ack = await post(privateDocument(file, { name: `app-${i + 1}.log`, caption: 'What failed?' }));
      const received = await waitLine('received', mark);
      const called = await waitLine('turn_call', mark);
      const started = await waitLine('turn_started', mark);
      clearInterval(sampler);
      const after = memKib(pid);
      const turn = await waitLine('turn', mark);
      await waitLine('handled', mark);
      if (turn.errorCode) run.errors.push(String(turn.errorCode));
      if (warmUp) continue;
      run.ackMs.push(ack);
      run.storeMs.push((called.at as number) - (received.at as number));
      run.turnStartMs.push((started.at as number) - t0);
      run.rssGrowthMb.push((Math.max(after.hwm, sampled) - before) / 1024);
      run.sampledGrowthMb.push((sampled - before) / 1024);
      log(
        `${store} sample ${i + 1}: ack ${ack.toFixed(1)} ms, store ${(called.at as number) - (received.at as number)} ms, ` +
          `turn start ${(started.at as number) - t0} ms, rss +${((Math.max(after.hwm, sampled) - before) / 1024).toFixed(1)} MB`,
      );
    }
  } finally {
    worker.kill('SIGTERM');
    await exited;
  }
  return run;
}

async function main(): Promise<void> {
  const samples = numberArg('samples', 5);
  const bytes = numberArg('mb', 20) * MB;
  const cpu = cpus();
  log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}; load ${loadavg()
      .map((l) => round(l, 2))
      .join(' ')}`,
  );
  const dir = await mkdtemp(join(tmpdir(), 'omni-bench-attachments-'));
  const configDir = join(dir, 'agent');
  await mkdir(configDir, { recursive: true });
  const model = await startModelServer({ record: false, tokenMs: 0 });
  const telegram = await startFakeTelegramApi();
  const peers = await startCloudPeers();
  const results: Record<string, StoreRun> = {};
  try {
    for (const store of ['s3', 'data_dir'] as const) {
      const [bucket, table, dedupeTable] = await Promise.all([
        peers.newBucket(),
        peers.newTable(),
        peers.newDedupeTable(),
      ]);
      const env: Record<string, string> = {
        OMNICLOUD_ENV: 'test',
        OMNICLOUD_LOG_LEVEL: 'warn',
        OMNICLOUD_CONFIG_DIR: configDir,
        ANTHROPIC_API_KEY: 'bench-model-key',
        ANTHROPIC_BASE_URL: model.url,
        OMNICLOUD_MODEL_MAX_RETRIES: '1',
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        ...peers.awsEnv(),
        OMNICLOUD_STORAGE: 'cloud',
        SESSION_BUCKET: bucket,
        SESSION_TABLE: table,
        DEDUPE_TABLE: dedupeTable,
        QUEUE_URL: peers.newFifoQueue(),
        OMNICLOUD_DATA_DIR: join(dir, store),
      };
      results[store] = await runStore(store, env, telegram, samples, bytes);
    }
  } finally {
    await peers.stop();
    await model.close();
    await telegram.close();
    await rm(dir, { recursive: true, force: true });
  }
  const s3 = results['s3'] as StoreRun;
  const local = results['data_dir'] as StoreRun;
  const figures = (r: StoreRun) => ({
    ack_ms: summary(r.ackMs),
    store_ms: summary(r.storeMs),
    store_mb_per_s_p50: round(bytes / MB / (median(r.storeMs) / 1000)),
    turn_start_ms: summary(r.turnStartMs),
    rss_growth_mb: summary(r.rssGrowthMb),
    rss_growth_sampled_mb: summary(r.sampledGrowthMb),
    peak_from_kernel: r.peakReset,
    errors: r.errors,
  });
  const worstGrowth = Math.max(...s3.rssGrowthMb, ...local.rssGrowthMb);
  const report = {
    bench: 'attachments',
    file_bytes: bytes,
    samples,
    rss_growth_mb_max: round(worstGrowth),
    s3: figures(s3),
    data_dir: figures(local),
    targets: TARGETS,
    met: { rss_growth: worstGrowth <= TARGETS.rss_growth_mb_max },
    load_end: loadavg().map((l) => round(l, 2)),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  const failed = [...s3.errors, ...local.errors];
  if (failed.length > 0) {
    log(`bench: turns ended with errors: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
