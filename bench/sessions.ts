/**
 * Session persistence benchmark: our S3+DynamoDB store vs the original algorithm (download the
 * whole conversation.jsonl before a turn, upload the whole file after it), same run, same peers
 * (fauxqs for S3, DynamoDB Local), on 127.0.0.1. Ends with one JSON line.
 *
 * Ours is measured on the production path, as the runner drives it through the SDK: a resumed
 * turn first calls `load()` and `listSubkeys()` (warm: a GetItem and a Query, 0 transcript bytes —
 * the counterpart of the original's download), then appends through `transcriptsFor(lease)` (every
 * append is one transaction that checks the lease, creates the batch's table part and moves the
 * head), the two batches the SDK sends per turn (the turn's entries, then a one-entry
 * `cost-state`). An unfenced store gets the same batches in the same loop for comparison. The warm
 * path (a turn pushed into the conversation's live process, `src/agent/warm/`) is measured in the
 * same loop too: the live process has the history already, so its turn is exactly one fenced
 * append of the turn's batch — no `load()`, no `listSubkeys()`, and no `cost-state` batch (the SDK
 * writes that only when the process exits). Bytes
 * written count S3 bodies plus the DynamoDB size of every whole item written (the head item's
 * full size on each update — what a write is billed on — not just the attributes it sent); write
 * units count DynamoDB's billing (⌈KB⌉ per item, doubled inside a transaction).
 *
 *   npx tsx bench/sessions.ts            (npm run bench -- sessions)
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import { conversationKey } from '../src/core/keys.js';
import { createCloudStorage, type CloudStorage } from '../src/sessions/adapters/cloud/index.js';
import type { TranscriptStore } from '../src/sessions/types.js';
import { startCloudPeers, type CloudPeers } from '../test/peers/cloud.js';
import { median } from './lib/stats.js';
import { jsonlBytes, sdkTurn } from './lib/transcript-shapes.js';

// 10, 100, 300 are the spec's checkpoints; 500 shows the trend (ours is O(1) per turn, the original
// O(n)). fauxqs refuses bodies over 11 MiB, so the original cannot be run much further on it.
const CHECKPOINTS = [10, 100, 300, 500];
/** Times are medians over the turns t±NEAR (ours, unfenced, warm and the original, interleaved). */
const NEAR = 5;
const LOAD_SIZES_MB = [1, 10, 50];
const WARM_UP_TURNS = 1500;
const PROJECT = 'bench';
/** The warm path's target: at least this many times faster than the original at turn 300. */
const TARGET_SPEEDUP_WARM = 15;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(2)} MB`;

interface TurnSample {
  turn: number;
  /** The turn's whole store time: resume (`appendMs` for the original's GET) + appends. */
  ms: number;
  /** Ours: the SDK's resume calls before the turn — `load()` then `listSubkeys()` (0 on turn 1). */
  resumeMs: number;
  /** Ours: the turn's appends; the original: its GET + PUT. */
  appendMs: number;
  bytesWritten: number;
  s3BytesWritten: number;
  dynamoBytesWritten: number;
  /** Bytes of attribute values the DynamoDB write requests carried. */
  dynamoRequestBytes: number;
  /** DynamoDB write capacity units billed. */
  dynamoWriteUnits: number;
  bytesRead: number;
  newEntryBytes: number;
  /** Requests of the turn: S3 PUT/GET + DynamoDB reads/writes. */
  requests: number;
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
    resumeMs: 0,
    appendMs: ms,
    bytesWritten: bytes,
    s3BytesWritten: bytes,
    dynamoBytesWritten: 0,
    dynamoRequestBytes: 0,
    dynamoWriteUnits: 0,
    bytesRead: Buffer.byteLength(existing),
    newEntryBytes: jsonlBytes(batches.flat()),
    requests: 2,
  };
}

/**
 * One turn as the runner drives the store through the SDK: on a resumed session `load()` (warm:
 * one GetItem validating the cached copy) and `listSubkeys()` (one Query), then the SDK's appends.
 */
async function oursTurn(
  storage: CloudStorage,
  store: TranscriptStore,
  sessionId: string,
  batches: SessionStoreEntry[][],
  resumed: boolean,
): Promise<TurnSample> {
  const m = storage.metrics;
  const before = { ...m };
  const key = { projectKey: PROJECT, sessionId };
  const started = performance.now();
  if (resumed) {
    if ((await store.load(key)) === null) throw new Error(`bench: session ${sessionId} vanished`);
    await store.listSubkeys(key);
  }
  const resumedAt = performance.now();
  for (const batch of batches) await store.append(key, batch);
  const ms = performance.now() - started;
  const s3w = m.s3BytesWritten - before.s3BytesWritten;
  const dw = m.dynamoBytesWritten - before.dynamoBytesWritten;
  return {
    turn: 0,
    ms,
    resumeMs: resumedAt - started,
    appendMs: performance.now() - resumedAt,
    bytesWritten: s3w + dw,
    s3BytesWritten: s3w,
    dynamoBytesWritten: dw,
    dynamoRequestBytes: m.dynamoRequestBytes - before.dynamoRequestBytes,
    dynamoWriteUnits: m.dynamoWriteUnits - before.dynamoWriteUnits,
    bytesRead: m.s3BytesRead - before.s3BytesRead + (m.dynamoBytesRead - before.dynamoBytesRead),
    newEntryBytes: jsonlBytes(batches.flat()),
    requests:
      m.s3Puts -
      before.s3Puts +
      m.s3Gets -
      before.s3Gets +
      m.dynamoReads -
      before.dynamoReads +
      m.dynamoWrites -
      before.dynamoWrites,
  };
}

/**
 * Steady state, not start-up: DynamoDB Local is a JVM whose first few thousand requests run
 * interpreted (a transaction took ~2.5 ms instead of ~2.0 ms before its JIT warmed up), and Node
 * optimises fauxqs and our code as they run. Both sides' paths run here first, untimed.
 */
async function warmUp(peers: CloudPeers): Promise<void> {
  const [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
  const storage = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table });
  const lease = await storage.leases.acquire(conversationKey({ tenant: PROJECT, chat: 'warm-up' }), {
    ttlMs: 3_600_000,
  });
  const sessionId = randomUUID();
  const started = performance.now();
  for (let turn = 1; turn <= WARM_UP_TURNS; turn++) {
    const batches = sdkTurn(turn, sessionId);
    await oursTurn(storage, storage.transcriptsFor(lease), sessionId, batches, turn > 1);
    if (turn % 10 === 0) {
      const key = `seed/warm-up/${turn}/conversation.jsonl`;
      await peers.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(2_000_000, 'x') }),
      );
      await seedTurn(peers.s3, bucket, key, batches);
    }
  }
  log(
    `warm-up: ${WARM_UP_TURNS} turns of ours, ${WARM_UP_TURNS / 10} of the original's, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  await Promise.all([peers.dropBucket(bucket), peers.dropTable(table)]);
}

async function perTurnComparison(peers: CloudPeers): Promise<Record<string, unknown>> {
  const [bucket, table] = await Promise.all([peers.newBucket(), peers.newTable()]);
  const storage = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table });
  const plain = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table });
  const lease = await storage.leases.acquire(conversationKey({ tenant: PROJECT, chat: 'bench' }), {
    ttlMs: 3_600_000,
  });
  const sessionId = randomUUID();
  const plainSessionId = randomUUID();
  const warmSessionId = randomUUID();
  const last = Math.max(...CHECKPOINTS) + NEAR;
  const ours: TurnSample[] = [];
  const unfenced: TurnSample[] = [];
  const warmTurns: TurnSample[] = [];
  const seeds: TurnSample[] = [];
  // The original's conversation.jsonl before the current turn (kept only to seed its samples).
  let history = '';
  let totalNew = 0;
  let totalWritten = 0;
  for (let turn = 1; turn <= last; turn++) {
    const batches = sdkTurn(turn, sessionId);
    // Around each checkpoint the original runs the same turn in the same time window (interleaved
    // with ours, so load on the machine hits both alike): its file is seeded untimed first.
    const seedKey = `seed/${sessionId}/${turn}/conversation.jsonl`;
    const sampleSeed = CHECKPOINTS.some((t) => Math.abs(turn - t) <= NEAR);
    if (sampleSeed && history !== '')
      await peers.s3.send(new PutObjectCommand({ Bucket: bucket, Key: seedKey, Body: history }));
    // A store per turn, as the runner makes one per turn's lease (its resume snapshot lives as long).
    const store = storage.transcriptsFor(lease);
    const sample = { ...(await oursTurn(storage, store, sessionId, batches, turn > 1)), turn };
    ours.push(sample);
    unfenced.push({
      ...(await oursTurn(plain, plain.transcripts, plainSessionId, batches, turn > 1)),
      turn,
    });
    // Warm: the live process appends the turn's batch once, fenced by the turn's lease.
    const warmBatch = sdkTurn(turn, warmSessionId).slice(0, 1);
    warmTurns.push({
      ...(await oursTurn(storage, storage.transcriptsFor(lease), warmSessionId, warmBatch, false)),
      turn,
    });
    if (sampleSeed) {
      seeds.push({ ...(await seedTurn(peers.s3, bucket, seedKey, batches)), turn });
      await peers.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: seedKey }));
    }
    if (CHECKPOINTS.some((t) => turn <= t + NEAR))
      history += batches
        .flat()
        .map((e) => `${JSON.stringify(e)}\n`)
        .join('');
    totalNew += sample.newEntryBytes;
    totalWritten += sample.bytesWritten;
  }
  log(
    `ours: ${last} turns, ${mb(totalNew)} of entries, ${mb(totalWritten)} written in total (amortized ×${(totalWritten / totalNew).toFixed(2)} incl. compaction)`,
  );

  // Warm resume: the container that served the last turn loads the conversation again.
  const transcriptBytesRead = (m: CloudStorage['metrics']): number => m.s3BytesRead + m.dynamoBytesRead;
  const readBefore = transcriptBytesRead(storage.metrics);
  const warmStarted = performance.now();
  const warm = await storage.transcripts.load({ projectKey: PROJECT, sessionId });
  const warmMs = performance.now() - warmStarted;
  const warmBytes = transcriptBytesRead(storage.metrics) - readBefore;
  const cold = createCloudStorage({ s3: peers.s3, dynamo: peers.doc, bucket, table, cacheBytes: 0 });
  const coldStarted = performance.now();
  const coldEntries = await cold.transcripts.load({ projectKey: PROJECT, sessionId });
  const coldMs = performance.now() - coldStarted;
  if (warm?.length !== coldEntries?.length) throw new Error('warm and cold loads differ');
  log(
    `resume after turn ${last}: warm ${warmMs.toFixed(1)} ms / ${warmBytes} transcript bytes; cold ${coldMs.toFixed(1)} ms / ${transcriptBytesRead(cold.metrics)} bytes in ${cold.metrics.s3Gets} GETs + ${cold.metrics.dynamoReads} DynamoDB reads`,
  );

  const rows: Record<string, unknown> = {};
  for (const t of CHECKPOINTS) {
    const near = (x: TurnSample): boolean => Math.abs(x.turn - t) <= NEAR;
    const seed = { ...seeds.find((x) => x.turn === t)!, ms: median(seeds.filter(near).map((x) => x.ms)) };
    const around = ours.filter(near);
    const mine = ours[t - 1]!;
    const oursMs = median(around.map((s) => s.ms));
    const appendMs = median(around.map((s) => s.appendMs));
    const resumeMs = median(around.map((s) => s.resumeMs));
    const plainMs = median(unfenced.filter(near).map((x) => x.ms));
    const warmMs = median(warmTurns.filter(near).map((x) => x.ms));
    const warmRequests = warmTurns[t - 1]!.requests;
    rows[t] = {
      seed,
      ours: mine,
      ours_ms_median: oursMs,
      append_ms_median: appendMs,
      resume_ms_median: resumeMs,
      unfenced_ms_median: plainMs,
      warm_ms_median: warmMs,
      warm_requests: warmRequests,
    };
    log(
      `turn ${String(t).padStart(3)}: new ${mb(mine.newEntryBytes)} | original ${seed.ms.toFixed(1)} ms, wrote ${mb(seed.bytesWritten)}, read ${mb(seed.bytesRead)} | ours ${oursMs.toFixed(1)} ms = resume ${resumeMs.toFixed(1)} + appends ${appendMs.toFixed(1)} (medians of turns t±${NEAR}; unfenced ${plainMs.toFixed(1)} ms), ${mine.requests} requests, wrote ${mine.bytesWritten} B (S3 ${mine.s3BytesWritten} + DynamoDB items ${mine.dynamoBytesWritten}, ${mine.dynamoWriteUnits} WCU; requests carried ${mine.dynamoRequestBytes}), read ${mine.bytesRead} B | speed-up ×${(seed.ms / oursMs).toFixed(1)}`,
    );
    log(
      `turn ${String(t).padStart(3)}: warm (live process: one fenced append, no resume, no cost-state) ${warmMs.toFixed(1)} ms, ${warmRequests} requests | speed-up ×${(seed.ms / warmMs).toFixed(1)} over the original's ${seed.ms.toFixed(1)} ms`,
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
    cold_resume_bytes: transcriptBytesRead(cold.metrics),
  };
}

/**
 * Build a transcript of about `sizeMb` the way the SDK writes it: turn by turn, each turn's batch
 * then its `cost-state` — so the cold load reads compacted S3 segments *and* the table parts
 * written since the last compaction, like a real conversation's.
 */
async function buildTranscript(storage: CloudStorage, sizeMb: number): Promise<string> {
  const sessionId = randomUUID();
  const key = { projectKey: PROJECT, sessionId };
  let bytes = 0;
  for (let turn = 1; bytes < sizeMb * 1_000_000; turn++) {
    for (const batch of sdkTurn(turn, sessionId)) {
      bytes += jsonlBytes(batch);
      await storage.transcripts.append(key, batch);
    }
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
      `cold load ${size} MB (${result.stored_mb!.toFixed(2)} MiB stored, ${result.entries} entries, ${result.gets} GETs + ${result.dynamo_reads} DynamoDB reads): ${result.ms!.toFixed(0)} ms, peak RSS ${result.peak_rss_mb!.toFixed(0)} MB (baseline ${result.baseline_rss_mb!.toFixed(0)} MB, +${(result.peak_rss_mb! - result.baseline_rss_mb!).toFixed(0)} MB)`,
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
    await warmUp(peers);
    const perTurn = await perTurnComparison(peers);
    const loads = await coldLoads(peers);
    const rows = perTurn.rows as Record<
      number,
      {
        seed: TurnSample;
        ours: TurnSample;
        ours_ms_median: number;
        append_ms_median: number;
        resume_ms_median: number;
        unfenced_ms_median: number;
        warm_ms_median: number;
        warm_requests: number;
      }
    >;
    const at = rows[300]!;
    const ten = loads['10mb']!;
    const result = {
      bench: 'sessions',
      turn: 300,
      seed_ms: round(at.seed.ms),
      ours_ms: round(at.ours_ms_median),
      speedup: round(at.seed.ms / at.ours_ms_median),
      ours_resume_ms: round(at.resume_ms_median),
      ours_append_ms: round(at.append_ms_median),
      speedup_appends_only: round(at.seed.ms / at.append_ms_median),
      ours_unfenced_ms: round(at.unfenced_ms_median),
      warm_ms_median: round(at.warm_ms_median),
      speedup_warm: round(at.seed.ms / at.warm_ms_median),
      speedup_warm_target: TARGET_SPEEDUP_WARM,
      speedup_warm_met: at.seed.ms / at.warm_ms_median >= TARGET_SPEEDUP_WARM,
      warm_requests_per_turn: at.warm_requests,
      ours_requests_per_turn: at.ours.requests,
      seed_bytes_written: at.seed.bytesWritten,
      ours_bytes_written: at.ours.bytesWritten,
      ours_s3_bytes_written: at.ours.s3BytesWritten,
      ours_dynamodb_bytes_written: at.ours.dynamoBytesWritten,
      ours_dynamodb_request_bytes: at.ours.dynamoRequestBytes,
      ours_dynamodb_write_units: at.ours.dynamoWriteUnits,
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
            ours_ms: round(rows[t]!.ours_ms_median),
            ours_resume_ms: round(rows[t]!.resume_ms_median),
            ours_append_ms: round(rows[t]!.append_ms_median),
            ours_unfenced_ms: round(rows[t]!.unfenced_ms_median),
            warm_ms_median: round(rows[t]!.warm_ms_median),
            speedup_warm: round(rows[t]!.seed.ms / rows[t]!.warm_ms_median),
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
      // 1-minute load average at the end: other work on the machine makes times noisy.
      load_avg_1m: round(loadavg()[0] ?? 0),
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
