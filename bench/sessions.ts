/**
 * Session persistence benchmark: our S3+DynamoDB store vs the original algorithm (download the
 * whole conversation.jsonl before a turn, upload the whole file after it), same run, same peers
 * (fauxqs for S3, DynamoDB Local), on 127.0.0.1. Ends with one JSON line.
 *
 *   npx tsx bench/sessions.ts            (npm run bench -- sessions)
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { createCloudStorage, type CloudStorage } from '../src/sessions/adapters/cloud/index.js';
import { startCloudPeers, type CloudPeers } from '../test/peers/cloud.js';
import { jsonlBytes, sdkTurn } from './lib/transcript-shapes.js';

const CHECKPOINTS = [10, 100, 300];
const SEED_REPEATS = 5;
const LOAD_SIZES_MB = [1, 10, 50];
const PROJECT = 'bench';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MB`;

interface TurnSample {
  turn: number;
  ms: number;
  bytesWritten: number;
  s3BytesWritten: number;
  dynamoBytesWritten: number;
  bytesRead: number;
  newEntryBytes: number;
}

/** The original: GET the whole file, append the turn's lines, PUT the whole file. */
async function seedTurn(
  s3: S3Client,
  bucket: string,
  key: string,
  batches: SessionStoreEntry[][],
): Promise<TurnSample> {
  const started = performance.now();
  let existing = '';
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    existing = (await res.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchKey') throw err;
  }
  const lines = batches
    .flat()
    .map((e) => `${JSON.stringify(e)}\n`)
    .join('');
  const body = existing + lines;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const ms = performance.now() - started;
  const bytes = Buffer.byteLength(body);
  return {
    turn: 0,
    ms,
    bytesWritten: bytes,
    s3BytesWritten: bytes,
    dynamoBytesWritten: 0,
    bytesRead: Buffer.byteLength(existing),
    newEntryBytes: jsonlBytes(batches.flat()),
  };
}

async function oursTurn(
  storage: CloudStorage,
  sessionId: string,
  batches: SessionStoreEntry[][],
): Promise<TurnSample> {
  const m = storage.metrics;
  const before = { w: m.s3BytesWritten, d: m.dynamoBytesWritten, r: m.s3BytesRead };
  const started = performance.now();
  for (const batch of batches) await storage.transcripts.append({ projectKey: PROJECT, sessionId }, batch);
  const ms = performance.now() - started;
  const s3w = m.s3BytesWritten - before.w;
  const dw = m.dynamoBytesWritten - before.d;
  return {
    turn: 0,
    ms,
    bytesWritten: s3w + dw,
    s3BytesWritten: s3w,
    dynamoBytesWritten: dw,
    bytesRead: m.s3BytesRead - before.r,
    newEntryBytes: jsonlBytes(batches.flat()),
  };
}

async function perTurnComparison(peers: CloudPeers): Promise<Record<string, unknown>> {
  const [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
  const storage = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table });
  const sessionId = randomUUID();
  const last = Math.max(...CHECKPOINTS) + 2;
  const transcript: SessionStoreEntry[][][] = [];
  const ours: TurnSample[] = [];
  let totalNew = 0;
  let totalWritten = 0;
  for (let turn = 1; turn <= last; turn++) {
    const batches = sdkTurn(turn, sessionId);
    transcript.push(batches);
    const sample = { ...(await oursTurn(storage, sessionId, batches)), turn };
    ours.push(sample);
    totalNew += sample.newEntryBytes;
    totalWritten += sample.bytesWritten;
  }
  log(
    `ours: ${last} turns, ${mb(totalNew)} of entries, ${mb(totalWritten)} written in total (amortized ×${(totalWritten / totalNew).toFixed(2)} incl. compaction)`,
  );

  // Warm resume: the container that served the last turn loads the conversation again.
  const readBefore = storage.metrics.s3BytesRead;
  const warmStarted = performance.now();
  const warm = await storage.transcripts.load({ projectKey: PROJECT, sessionId });
  const warmMs = performance.now() - warmStarted;
  const warmBytes = storage.metrics.s3BytesRead - readBefore;
  const cold = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table, cacheBytes: 0 });
  const coldStarted = performance.now();
  const coldEntries = await cold.transcripts.load({ projectKey: PROJECT, sessionId });
  const coldMs = performance.now() - coldStarted;
  if (warm?.length !== coldEntries?.length) throw new Error('warm and cold loads differ');
  log(
    `resume after turn ${last}: warm ${warmMs.toFixed(1)} ms / ${warmBytes} S3 bytes; cold ${coldMs.toFixed(1)} ms / ${cold.metrics.s3BytesRead} bytes in ${cold.metrics.s3Gets} GETs`,
  );

  const rows: Record<string, unknown> = {};
  for (const t of CHECKPOINTS) {
    // The original at turn t: the file holds turns 1..t-1, then one turn runs. Repeated for a median.
    const seedSamples: TurnSample[] = [];
    const prior = transcript.slice(0, t - 1).flat(2);
    const priorBody = prior.map((e) => `${JSON.stringify(e)}\n`).join('');
    for (let i = 0; i < SEED_REPEATS; i++) {
      const key = `seed/${sessionId}/${t}-${i}/conversation.jsonl`;
      if (t > 1) await peers.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: priorBody }));
      seedSamples.push(await seedTurn(peers.s3, bucket, key, transcript[t - 1]!));
    }
    const seed = { ...seedSamples[0]!, ms: median(seedSamples.map((s) => s.ms)) };
    const around = ours.filter((s) => Math.abs(s.turn - t) <= 2);
    const mine = ours[t - 1]!;
    const oursMs = median(around.map((s) => s.ms));
    rows[t] = { seed, ours: mine, ours_ms_median_5: oursMs };
    log(
      `turn ${String(t).padStart(3)}: new ${mb(mine.newEntryBytes)} | original ${seed.ms.toFixed(1)} ms, wrote ${mb(seed.bytesWritten)}, read ${mb(seed.bytesRead)} | ours ${oursMs.toFixed(1)} ms (median t±2), wrote ${mb(mine.bytesWritten)} (S3 ${mb(mine.s3BytesWritten)} + DynamoDB ${mb(mine.dynamoBytesWritten)}), read ${mb(mine.bytesRead)} | speed-up ×${(seed.ms / oursMs).toFixed(1)}`,
    );
  }
  const compactions = ours.filter((s) => s.bytesRead > 0).map((s) => s.turn);
  log(`turns whose append also compacted (read the tail back): ${compactions.join(', ') || 'none'}`);
  await Promise.all([peers.dropBucket(bucket), peers.dropTable(table)]);
  return {
    rows,
    amortized_written_per_new_byte: totalWritten / totalNew,
    compaction_turns: compactions,
    warm_resume_bytes_read: warmBytes,
    warm_resume_ms: warmMs,
    cold_resume_ms: coldMs,
    cold_resume_bytes: cold.metrics.s3BytesRead,
  };
}

/** Build a transcript of about `sizeMb` with realistic entries, appended in turn-sized batches of 50 turns. */
async function buildTranscript(storage: CloudStorage, sizeMb: number): Promise<string> {
  const sessionId = randomUUID();
  const key = { projectKey: PROJECT, sessionId };
  let bytes = 0;
  let turn = 1;
  while (bytes < sizeMb * 1_000_000) {
    const batch: SessionStoreEntry[] = [];
    for (let i = 0; i < 50 && bytes < sizeMb * 1_000_000; i++, turn++) {
      const entries = sdkTurn(turn, sessionId).flat();
      bytes += jsonlBytes(entries);
      batch.push(...entries);
    }
    await storage.transcripts.append(key, batch);
  }
  return sessionId;
}

async function coldLoads(peers: CloudPeers): Promise<Record<string, Record<string, number>>> {
  const [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
  const storage = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table, cacheBytes: 0 });
  const child = fileURLToPath(new URL('./lib/cold-load-child.ts', import.meta.url));
  const out: Record<string, Record<string, number>> = {};
  for (const size of LOAD_SIZES_MB) {
    const sessionId = await buildTranscript(storage, size);
    const stat = await storage.transcripts.stat({ projectKey: PROJECT, sessionId });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        child,
        peers.fauxqs.endpoint,
        peers.dynamodb.endpoint,
        bucket,
        table,
        sessionId,
      ],
      { maxBuffer: 1 << 20 },
    );
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
    result.stored_mb = (stat?.bytes ?? 0) / 2 ** 20;
    out[`${size}mb`] = result;
    log(
      `cold load ${size} MB (${result.stored_mb!.toFixed(2)} MiB stored, ${result.entries} entries, ${result.gets} GETs): ${result.ms!.toFixed(0)} ms, peak RSS ${result.peak_rss_mb!.toFixed(0)} MB (baseline ${result.baseline_rss_mb!.toFixed(0)} MB, +${(result.peak_rss_mb! - result.baseline_rss_mb!).toFixed(0)} MB)`,
    );
  }
  await Promise.all([peers.dropBucket(bucket), peers.dropTable(table)]);
  return out;
}

async function main(): Promise<void> {
  const cpu = cpus();
  log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`,
  );
  log('peers: fauxqs 1.9.2 (S3, in this process) + DynamoDB Local (JVM, -inMemory) on 127.0.0.1');
  const peers = await startCloudPeers();
  try {
    const perTurn = await perTurnComparison(peers);
    const loads = await coldLoads(peers);
    const rows = perTurn.rows as Record<
      number,
      { seed: TurnSample; ours: TurnSample; ours_ms_median_5: number }
    >;
    const at = rows[300]!;
    const ten = loads['10mb']!;
    const result = {
      bench: 'sessions',
      turn: 300,
      seed_ms: round(at.seed.ms),
      ours_ms: round(at.ours_ms_median_5),
      speedup: round(at.seed.ms / at.ours_ms_median_5),
      seed_bytes_written: at.seed.bytesWritten,
      ours_bytes_written: at.ours.bytesWritten,
      ours_s3_bytes_written: at.ours.s3BytesWritten,
      ours_dynamodb_bytes_written: at.ours.dynamoBytesWritten,
      new_entry_bytes: at.ours.newEntryBytes,
      written_per_new_byte: round(at.ours.bytesWritten / at.ours.newEntryBytes),
      amortized_written_per_new_byte: round(perTurn.amortized_written_per_new_byte as number),
      seed_bytes_read: at.seed.bytesRead,
      ours_bytes_read: at.ours.bytesRead,
      turns: Object.fromEntries(
        CHECKPOINTS.map((t) => [
          t,
          {
            seed_ms: round(rows[t]!.seed.ms),
            ours_ms: round(rows[t]!.ours_ms_median_5),
            seed_bytes_written: rows[t]!.seed.bytesWritten,
            ours_bytes_written: rows[t]!.ours.bytesWritten,
            seed_bytes_read: rows[t]!.seed.bytesRead,
            ours_bytes_read: rows[t]!.ours.bytesRead,
            new_entry_bytes: rows[t]!.ours.newEntryBytes,
          },
        ]),
      ),
      cold_load_1mb_ms: round(loads['1mb']!.ms!),
      cold_load_10mb_ms: round(ten.ms!),
      cold_load_50mb_ms: round(loads['50mb']!.ms!),
      cold_load_1mb_peak_rss_mb: round(loads['1mb']!.peak_rss_mb!),
      cold_load_10mb_peak_rss_mb: round(ten.peak_rss_mb!),
      cold_load_50mb_peak_rss_mb: round(loads['50mb']!.peak_rss_mb!),
      cold_load_10mb_rss_growth_mb: round(ten.peak_rss_mb! - ten.baseline_rss_mb!),
      cold_load_50mb_rss_growth_mb: round(loads['50mb']!.peak_rss_mb! - loads['50mb']!.baseline_rss_mb!),
      cold_load_baseline_rss_mb: round(ten.baseline_rss_mb!),
      warm_resume_bytes_read: perTurn.warm_resume_bytes_read,
      warm_resume_ms: round(perTurn.warm_resume_ms as number),
      cold_resume_300_turns_ms: round(perTurn.cold_resume_ms as number),
      machine: `${cpu.length}x ${cpu[0]?.model ?? '?'}, Node ${process.version}`,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await peers.stop();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

await main();
