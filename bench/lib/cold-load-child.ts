/**
 * Child process of bench/sessions.ts: one cold `load()` in a fresh process, so its peak RSS is not
 * polluted by the parent's peers or other sizes. Prints one JSON line.
 * argv: <s3Endpoint> <dynamoEndpoint> <bucket> <table> <sessionId>
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createCloudClients, createCloudStorage } from '../../src/sessions/adapters/cloud/index.js';
import { PEER_CREDENTIALS, PEER_REGION } from '../../test/peers/types.js';

const [s3Endpoint, dynamoEndpoint, bucket, table, sessionId] = process.argv.slice(2);
if (!s3Endpoint || !dynamoEndpoint || !bucket || !table || !sessionId)
  throw new Error('usage: cold-load-child …');

const clients = createCloudClients({
  region: PEER_REGION,
  s3Endpoint,
  dynamoEndpoint,
  credentials: PEER_CREDENTIALS,
});
const storage = createCloudStorage({ s3: clients.s3, dynamo: clients.dynamo, bucket, table, cacheBytes: 0 });
const key = { projectKey: 'bench', sessionId };
// Warm both clients and their lazily loaded code paths (a stat, a GET of a missing object), so we
// measure the load, not module initialisation.
await storage.transcripts.stat(key);
await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'warm-up/none' })).catch(() => undefined);
global.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 2);
const started = performance.now();
const entries = await storage.transcripts.load(key);
const ms = performance.now() - started;
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(sampler);
console.log(
  JSON.stringify({
    ms,
    entries: entries?.length ?? 0,
    bytes_read: storage.metrics.s3BytesRead + storage.metrics.dynamoBytesRead,
    gets: storage.metrics.s3Gets,
    dynamo_reads: storage.metrics.dynamoReads,
    baseline_rss_mb: baseline / 2 ** 20,
    // Sampled every 2 ms during the load (the process-lifetime maxRSS would include tsx's start-up).
    peak_rss_mb: peak / 2 ** 20,
  }),
);
clients.destroy();
